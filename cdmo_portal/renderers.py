"""One field template for every form: label, widget, help and errors next to the field."""

from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    field_template_name = "components/field.html"
