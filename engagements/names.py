"""Names people type for records others must tell apart: CDMOs, sites, projects, calendars.

One validator for all of them: the text is normalised (Unicode NFKC, outer spaces stripped),
invisible and bidirectional control characters are refused (two names must not look alike
while being different), and a name already used among its peers, compared without case,
is refused with the caller's message.
"""

import unicodedata

from django import forms

# Zero-width and bidi controls: they change how text looks or reads without being seen.
INVISIBLE = {
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero width no-break space (BOM)
    "\u00ad",  # soft hyphen
    *(chr(c) for c in range(0x202A, 0x202F)),  # LRE, RLE, PDF, LRO, RLO
    *(chr(c) for c in range(0x2066, 0x206A)),  # LRI, RLI, FSI, PDI
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # arabic letter mark
}


def normalised(text):
    """The text as stored: NFKC, outer whitespace stripped; refused if it hides characters."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    hidden = sorted({c for c in text if c in INVISIBLE or unicodedata.category(c) == "Cc"})
    if hidden:
        codes = ", ".join(f"U+{ord(c):04X}" for c in hidden)
        raise forms.ValidationError(
            f"Remove the invisible or text-direction characters ({codes}): names must look "
            "like what they are."
        )
    return text


def unique_name(value, *, among, instance=None, message, field="name"):
    """The normalised name, or ValidationError(message) when a peer in `among` has it."""
    name = normalised(value)
    duplicates = among.filter(**{f"{field}__iexact": name})
    if instance is not None and instance.pk is not None:
        duplicates = duplicates.exclude(pk=instance.pk)
    if duplicates.exists():
        raise forms.ValidationError(message)
    return name
