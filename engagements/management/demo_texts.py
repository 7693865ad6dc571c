"""What the demo's requests say, per category: titles, the ask, answers, updates, follow-ups.

A case is one kind of ask with its own thread: the title and the opening ask, the CDMO's first
answer, and the message that settles it later (none when the first answer settles it). A case
with a `report` can also be raised by the CDMO (opened from its inbound message). Follow-ups,
updates and "we need something from you" messages are shared by the cases of a category: a
follow-up asked while the CDMO still owes its result (FOLLOW_UPS) or after it came
(FOLLOW_UPS_AFTER). Placeholders ({lot}, {dev}, ...) are filled per request by seed_demo.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    title: str
    ask: str
    answer: str
    final: str = ""  # the message that settles the ask; none when the first answer does
    report: str = ""  # the CDMO's own message when it raises the request


@dataclass(frozen=True)
class Needs:
    """The CDMO cannot go on without the sponsor: its message, the pause, our reply."""

    message: str
    reason_category: str
    reason: str
    reply: str


CASES = {
    "question": [
        Case(
            "Question: hold time for the clarified harvest before Protein A",
            "How long may the clarified harvest be held at 2–8 °C before the Protein A step? "
            "The process description says 72 h, the batch record template 48 h.",
            "The validated hold is 72 h at 2–8 °C (hold-time study HT-{n}). The template will be "
            "corrected in its next revision.",
        ),
        Case(
            "Question on resin lifetime for the Protein A column",
            "How many cycles is the Protein A resin qualified for, and how many has our "
            "dedicated column run so far?",
            "Qualified for 150 cycles (resin lifetime study RL-{n}); your column stands at "
            "{run} cycles.",
        ),
        Case(
            "Question: can buffer preparation move to single-use bags?",
            "Could the buffer preparation for {program} move from the stainless tanks to "
            "single-use bags, to free up the prep room?",
            "Yes, for buffers up to 500 L. Extractables data for the bag film are on file; the "
            "change needs a minor change control.",
        ),
        Case(
            "Question on the sampling plan for in-process bioburden",
            "Which steps are sampled for bioburden in the current process, and at what volume?",
            "Bioburden is sampled before and after each filtration, 100 mL each. Sampling plan "
            "SP-{n} attached.",
        ),
        Case(
            "Question: release testing lead time for lot {lot}",
            "What is the current lead time from the end of fill to QP release for lot {lot}?",
            "Release testing takes 21 working days; sterility is the long pole. QP release is "
            "forecast for week {week}.",
        ),
    ],
    "technical_query": [
        Case(
            "Titre 30 % below the PD run in run {run}: root cause?",
            "Run {run} finished at 2.1 g/L against 3.0 g/L in the PD run. Please investigate and "
            "tell us whether the next run is at risk.",
            "MSAT traced a 14-hour delay in the seed train and a pH dip on day 6; we are checking "
            "both against the PD data.",
            "Root cause: the seed-train delay (cells at a later passage). The seed-train schedule "
            "is corrected; the confirmation run reached 2.9 g/L.",
        ),
        Case(
            "Aggregates above 2 % after UF/DF in lot {lot}",
            "SEC shows 2.4 % aggregates after UF/DF in lot {lot}, against a limit of 2 %. What "
            "happened, and is the lot still usable?",
            "Confirmed 2.4 % HMW by SEC. Pump shear in the last diafiltration volume is the "
            "leading hypothesis; we are testing a hold sample.",
            "Closed: the pump ran above its validated speed during diafiltration. Lot {lot} "
            "reprocessed to 1.1 % HMW; the batch record now locks the setting.",
        ),
        Case(
            "Host-cell protein trend over the last three batches",
            "HCP rose from 18 to 42 ppm over the last three batches. Please explain the trend "
            "before the next campaign.",
            "We see the same trend. The Protein A wash buffer lot changed three batches ago; we "
            "are testing retained samples with the old and the new lot.",
            "Root cause: the new wash buffer lot was made at the low end of its conductivity "
            "range. Specification tightened; HCP back at 20 ppm in the confirmation run.",
        ),
        Case(
            "Viral clearance study design for the low-pH hold",
            "Please propose the viral clearance study for the low-pH hold: model viruses, number "
            "of runs, hold times.",
            "We propose X-MuLV and PRV, two runs each at 60 and 90 minutes at pH 3.6 in the "
            "contract lab's scale-down model. Draft design attached.",
            "Final design signed; the contract lab has booked the runs for week {week}.",
        ),
        Case(
            "Potency assay variability between analysts",
            "Relative potency differs by up to 25 % between your two analysts. What is the "
            "assay's intermediate precision?",
            "Intermediate precision in validation was 12 % RSD; the recent spread comes with a "
            "new plate reader. A comparability study is running.",
            "Comparability study done: the new reader read 8 % high until recalibrated. Last "
            "month's results re-evaluated; no release decision changes.",
        ),
        Case(
            "Glycan profile shift in run {run}",
            "Afucosylation rose from 6 % to 9 % in run {run}. Could the new media lot explain it?",
            "Plausible: the media lot changed and its manganese content is at the high end. We "
            "are comparing its certificate with the earlier lots.",
            "Media lot effect confirmed (manganese). The supplier now delivers to the tighter "
            "specification; run {run} is within the comparability range.",
        ),
    ],
    "document_request": [
        Case(
            "Please send the CoA for lot {lot}",
            "We need the certificate of analysis for lot {lot} for the IMPD update due next week.",
            "CoA for lot {lot} attached, signed by QA.",
        ),
        Case(
            "Executed batch record for lot {lot}",
            "Please send the executed batch record of lot {lot}, with its deviation list, for "
            "our QA review.",
            "The executed batch record of lot {lot} is being scanned; our QA review is complete "
            "with no open deviations.",
            "Executed batch record of lot {lot} uploaded to the portal (412 pages), with the "
            "deviation list (none open).",
        ),
        Case(
            "Stability report, {months}-month time point",
            "The {months}-month stability pull was last month. When can we expect the report?",
            "All {months}-month results are in but potency, which is repeated after a system "
            "suitability failure. Draft report next week.",
            "{months}-month stability report attached: all results within specification, no trend.",
        ),
        Case(
            "Tech transfer package v{n} for review",
            "Please share tech transfer package v{n} with the updated process description, so "
            "that we can review it before the gap assessment.",
            "Package v{n} uploaded: process description, material list and risk assessment. The "
            "analytical methods follow.",
            "Analytical methods added: package v{n} is complete on the portal.",
        ),
        Case(
            "PPQ protocol draft for review",
            "Please send the draft PPQ protocol; we need two weeks for our comments.",
            "PPQ protocol draft attached. The acceptance criteria are still marked draft, "
            "pending the capability analysis.",
            "PPQ protocol with the final acceptance criteria attached, ready for signature.",
        ),
        Case(
            "Cleaning validation report for the shared suite",
            "Our auditor asked for the cleaning validation report of the shared purification "
            "suite.",
            "Cleaning validation report CV-{n} attached, with the carry-over calculation for "
            "your product.",
        ),
    ],
    "quote": [
        Case(
            "Quote for a 2000 L GMP batch",
            "Please quote one 2000 L GMP batch of {program}, with release testing and six months "
            "of stability.",
            "Thank you. The commercial team is preparing the quote; a first estimate is {amount} "
            "excluding raw materials.",
            "Quote {quote} attached: {amount} all-in, slot from week {week}, valid for 90 days.",
        ),
        Case(
            "RFP: fill-finish of three clinical lots",
            "Our RFP for the fill-finish of three clinical lots (2R vials, 2,000 each) is "
            "attached; answers by the end of the month, please.",
            "RFP received. We will answer with a proposal and a slot plan; our questions follow "
            "this week.",
            "Proposal {quote} for the three lots attached: {amount}, first fill in week {week}.",
        ),
        Case(
            "Quote for additional stability pulls at 36 months",
            "Please quote two extra stability pulls, at 30 and 36 months, for lot {lot} and the "
            "next lot.",
            "Quote {quote} attached: {amount} for both pulls on both lots.",
        ),
        Case(
            "Change order quote for an extra engineering run",
            "We want an extra engineering run before PPQ. Please send a change order quote.",
            "Change order {quote} is being prepared; the earliest slot would be week {week}.",
            "Change order {quote} attached: {amount}, engineering run in week {week}.",
        ),
        Case(
            "Quote for analytical method transfer",
            "Please quote the transfer of our potency and SEC methods, with the transfer "
            "protocol and report.",
            "Quote {quote} for both transfers attached: {amount}, eight weeks from protocol "
            "approval.",
        ),
    ],
    "site_visit": [
        Case(
            "Site visit request: week {week}",
            "Our CMC team would like to visit {site} in week {week}: the suite, the warehouse and "
            "a meeting with QA.",
            "Week {week} works: we propose Tuesday 09:00–15:00, with a suite walk-through in "
            "gowning. Agenda attached.",
        ),
        Case(
            "Person-in-plant for PPQ batch {batch}",
            "We would like a person in plant for PPQ batch {batch}. Please confirm the dates and "
            "the training needed.",
            "Person-in-plant confirmed for the inoculation and harvest days; GMP training is a "
            "one-hour online module before arrival.",
        ),
        Case(
            "Request for a GMP audit slot for our QA",
            "Our QA is due for its biennial GMP audit. Which two-day slots do you have in the "
            "next two months?",
            "We can offer two days in week {week}; the audit agenda should reach our QA two "
            "weeks before.",
        ),
        Case(
            "Site visit for the tech transfer kick-off",
            "We propose to hold the tech transfer kick-off at {site}. Could you host us for a day?",
            "Happy to host: we suggest week {week}, with the MSAT and QC teams present.",
        ),
    ],
    "quality": [
        Case(
            "Deviation {dev}: cold-room temperature excursion",
            "We hear of a temperature excursion in the cold room that stores lot {lot}. Please "
            "open a deviation and send the impact assessment.",
            "Deviation {dev} is open: 11 °C for 95 minutes after a door sensor fault. Impact "
            "assessment in progress; lot {lot} is on hold.",
            "Deviation {dev} closed: no impact on lot {lot} (stability data cover 25 °C for "
            "24 h). CAPA: door alarm with a 5-minute delay.",
            report="Deviation {dev}: the cold room holding lot {lot} reached 11 °C for 95 "
            "minutes. The lot is on hold while we assess the impact.",
        ),
        Case(
            "OOS bioburden result on lot {lot}",
            "QC reported an OOS bioburden result before the final filtration of lot {lot}. "
            "Please send the phase I investigation.",
            "Phase I found no laboratory error; the retest is within limits but the original "
            "result stands. Phase II has started.",
            "Investigation closed: a sampling valve was not sanitised after maintenance. Lot "
            "{lot} released on the final filtration results; CAPA in the maintenance procedure.",
            report="QC found an OOS bioburden result (18 CFU/10 mL, limit 10) before the final "
            "filtration of lot {lot}. Investigation opened under {dev}.",
        ),
        Case(
            "Deviation {dev}: filter integrity test failed after sterile filtration",
            "The post-use integrity test of the sterile filter failed for lot {lot}. What are "
            "the next steps, and what is the impact on the release date?",
            "The retest after re-wetting passed; we are checking whether the first test was a "
            "wetting failure.",
            "Deviation {dev} closed: incomplete wetting, confirmed by the filter supplier. "
            "Release of lot {lot} moves by three days.",
        ),
        Case(
            "Deviation {dev}: outdated label version on vials of lot {lot}",
            "We hear that vials of lot {lot} carry an outdated label version. Please open a "
            "deviation and tell us which vials are affected.",
            "Deviation {dev} opened: 240 vials from one tray carry label version 3 instead of 4; "
            "they are segregated.",
            "Deviation {dev} closed: the vials were relabelled under QA supervision, and label "
            "reconciliation now checks the version. CAPA in place.",
        ),
        Case(
            "Deviation {dev}: missed in-process sample in batch {batch}",
            "The batch record of batch {batch} shows a missed in-process sample at harvest. "
            "What is the impact?",
            "Deviation {dev} raised. The retained harvest sample covers it and is being tested "
            "now.",
            "Deviation {dev} closed: the retained sample met the limits; operator retrained.",
            report="Deviation {dev}: the in-process sample at harvest of batch {batch} was not "
            "taken. A retained sample exists; the impact assessment follows.",
        ),
    ],
    "schedule_change": [
        Case(
            "Move PPQ batch {batch} by two weeks",
            "Our drug substance release slipped: please move PPQ batch {batch} by two weeks and "
            "confirm the new slot.",
            "We can move batch {batch} by two weeks; the suite is free from week {week}. "
            "Confirming with production planning.",
            "New slot confirmed: batch {batch} starts in week {week}. Updated schedule attached.",
            report="Production planning needs to move PPQ batch {batch} by two weeks: an "
            "equipment qualification overran. Proposed new start: week {week}.",
        ),
        Case(
            "Earlier release of lot {lot} for the clinic",
            "The first patient visit moved forward. Can lot {lot} be released a week earlier?",
            "QC can prioritise lot {lot}; sterility is the constraint. Five working days earlier "
            "is possible if QA reviews in parallel.",
            "Lot {lot} released five days early; CoA and QP certificate attached.",
        ),
        Case(
            "Reschedule engineering run {run}",
            "Please reschedule engineering run {run}: the new cell bank is released only in week "
            "{week}.",
            "Noted. Run {run} is pencilled in two weeks after the cell bank release; planning "
            "will confirm the suite.",
            "Run {run} confirmed for week {week}; materials reserved.",
            report="We need to reschedule engineering run {run}: the bioreactor is out of "
            "service for a part replacement. We propose week {week}.",
        ),
        Case(
            "Slot change for the fill of lot {lot}",
            "Can the fill of lot {lot} move from the morning to the afternoon shift, so that our "
            "person in plant can attend?",
            "The afternoon shift is possible; planning is checking the line clearance of the "
            "product before ours.",
            "Fill of lot {lot} moved to the afternoon shift; line clearance confirmed.",
        ),
    ],
    "escalation": [
        Case(
            "Escalation: release of lot {lot} missed the agreed date",
            "Lot {lot} was promised for release last week and we have no new date. This now "
            "threatens clinical supply: please send a recovery plan.",
            "We apologise for the delay. Our head of operations owns the recovery plan; a QC "
            "backlog is the cause, and extra analysts are assigned.",
            "Lot {lot} released. The recovery plan and a revised QC capacity plan are attached.",
        ),
        Case(
            "Escalation: no status report for three weeks",
            "We have had no weekly status report for three weeks. Please restore the reporting "
            "and explain the gap.",
            "You are right: the project manager was out and the cover did not take over the "
            "report. Reports resume this Friday.",
            "Reports are back three weeks running; a deputy PM is now named in the communication "
            "plan.",
        ),
        Case(
            "Escalation: repeated late answers from the project team",
            "Our last five questions took more than twice the agreed response time. We need a "
            "named owner and a plan.",
            "We take this seriously: our site head now sponsors your project, and we will review "
            "the open questions with you this week.",
            "Open questions cleared; a daily triage of your requests is in place.",
        ),
        Case(
            "Escalation: {dev} still without a root cause",
            "{dev} has been open for six weeks without a root cause. We need it closed before "
            "the next batch.",
            "Our corporate quality team is involved; a root-cause workshop is set for this week.",
            "Root cause of {dev} established and the CAPA approved; the next batch goes ahead as "
            "planned.",
        ),
    ],
    "other": [
        Case(
            "Invoice query for PO {po}",
            "The invoice for PO {po} charges a full engineering run, but the run was stopped on "
            "day 3. Please check.",
            "Correct: finance will issue a credit note for the unused days.",
            "Credit note for PO {po} attached.",
        ),
        Case(
            "Single point of contact during the PM's leave",
            "Please confirm who is our single point of contact while your PM is on leave.",
            "Our deputy PM takes over from Monday and is copied on every thread from now on.",
        ),
        Case(
            "Confidentiality agreement renewal",
            "The confidentiality agreement expires next month. Please send the renewal for "
            "signature.",
            "Legal is preparing the renewal; a draft with unchanged terms follows.",
            "Signed confidentiality agreement renewal attached.",
        ),
        Case(
            "Shipping address for retained samples",
            "Please ship the retained samples of lot {lot} to our new QC lab; address attached.",
            "Address noted: the samples go out on dry ice on Monday, with a temperature logger.",
            "Samples delivered; the logger shows no excursion.",
        ),
    ],
}

# (our follow-up ask, the CDMO's answer to it) while the CDMO still owes its result ...
FOLLOW_UPS = {
    "technical_query": [
        (
            "Could you share the raw data and trend charts you have so far?",
            "Trend charts and the raw data export attached.",
        ),
        (
            "What does this mean for the timeline of the next campaign?",
            "No change expected: the next campaign starts as planned.",
        ),
    ],
    "document_request": [
        (
            "When can we expect it? Our submission deadline is close.",
            "We expect to send it by the end of next week.",
        ),
        (
            "Could you send a draft ahead of the final version?",
            "A draft is attached; the signed version follows.",
        ),
    ],
    "quote": [
        (
            "Could the quote break the price down by activity?",
            "Yes: manufacturing, testing and project management will be priced separately.",
        ),
        (
            "Is there a discount if we commit to two batches?",
            "For two batches we can take 7 % off the second; the quote will show both options.",
        ),
    ],
    "quality": [
        (
            "Please send the impact assessment for the other lots of the campaign.",
            "Impact assessment attached: the other two lots were not in the affected area.",
        ),
        (
            "When do you expect the root cause?",
            "By the end of next week; an interim report is attached.",
        ),
    ],
    "schedule_change": [
        (
            "Does this change any other date in the plan?",
            "No other date moves; the updated plan is attached.",
        ),
        (
            "Please confirm in writing once planning has signed off.",
            "Will do, as soon as planning has signed off.",
        ),
    ],
    "escalation": [
        (
            "We need this in writing, with dates and owners.",
            "Recovery plan with dates and owners attached.",
        ),
        (
            "Who is accountable on your side now?",
            "Our head of operations; she joins the next steering meeting.",
        ),
    ],
    "other": [
        (
            "Who on your side handles this from here?",
            "Our project manager; she is copied on this thread.",
        ),
        ("When can we expect it?", "Within the next two weeks."),
    ],
}

# ... and after an answer that settled the ask.
FOLLOW_UPS_AFTER = {
    "question": [
        (
            "Thanks. Is that documented somewhere we can cite in our IND?",
            "Yes: the report is named above; the relevant section is attached.",
        ),
        (
            "Does this also hold for the next campaign?",
            "Yes, unless the process changes; a change control would flag it.",
        ),
    ],
    "document_request": [
        (
            "Thanks. One appendix seems to be missing from what you sent.",
            "Apologies: the missing appendix is attached now.",
        ),
        ("Could you also send the signed version?", "Signed version attached."),
    ],
    "quote": [
        (
            "Could you break the price down by activity?",
            "Breakdown attached: manufacturing, testing and project management separately.",
        ),
        (
            "Is there a discount if we commit to two batches?",
            "For two batches we can take 7 % off the second; revised figures attached.",
        ),
    ],
    "site_visit": [
        (
            "Can two more colleagues join?",
            "Yes, up to six visitors; please send their names for the badges.",
        ),
        ("Could we also see the QC lab?", "QC lab added to the afternoon agenda."),
    ],
    "other": [
        (
            "Who on your side handles this from here?",
            "Our project manager; she is copied on this thread.",
        ),
    ],
}

UPDATES = {  # in the order a long request would go through them
    "question": [
        "Still checking with the responsible team; the answer follows this week.",
        "QA and production are aligning on the answer; a draft is in review.",
    ],
    "technical_query": [
        "Data review started: batch records, trends and the equipment logs of the run.",
        "Repeat experiments running; first results by the end of the week.",
        "Two of three hypotheses excluded; the scale-down runs for the third start Monday.",
        "Scale-down runs finished; the analytics are in QC's queue.",
        "Data review with MSAT and QC done; the report is being drafted.",
    ],
    "document_request": [
        "The document is being compiled from the executed records.",
        "The document is in QA review; expected early next week.",
        "QA comments are being worked in; the appendix is being translated.",
        "Final QA signature pending.",
    ],
    "quote": [
        "Scope reviewed with operations; pricing is in preparation.",
        "Supply chain is confirming the resin and media prices.",
        "Slot plan confirmed; pricing is in final approval.",
        "Approval by our commercial director expected this week.",
    ],
    "site_visit": [
        "Agenda in preparation with the suite owners.",
        "Security clearance for the visitors is in progress.",
    ],
    "quality": [
        "Shift interviews done; the equipment and alarm logs are under review.",
        "Root-cause analysis (fishbone) attached; testing of the retained samples continues.",
        "Retained sample results in; the root cause is being confirmed with engineering.",
        "CAPA proposal in QA review.",
    ],
    "schedule_change": [
        "Planning is checking the suite calendar and the material lead times.",
        "Tentative slot found, pending the end of an equipment qualification.",
        "Materials for the new slot are reserved; staffing is being confirmed.",
    ],
    "escalation": [
        "Our head of operations reviewed the case with the team; actions assigned.",
        "Recovery actions on track; tracker attached.",
        "The extra analysts have started; the backlog is down by half.",
        "Backlog nearly cleared; the last open items are scheduled.",
    ],
    "other": [
        "Still with our finance and legal teams; we will come back to you.",
        "Finance has approved; the paperwork is being prepared.",
    ],
}

NEEDS = {
    "technical_query": Needs(
        "To go on we need your development data for the comparison.",
        "information",
        "MSAT needs our development data for the comparison.",
        "Development data attached, as you asked.",
    ),
    "quality": Needs(
        "We need your decision: reprocess lot {lot} or reject it?",
        "decision",
        "QA needs our decision on reprocessing lot {lot}.",
        "Our decision: reprocess lot {lot} under the protocol you proposed.",
    ),
    "quote": Needs(
        "Please confirm the scope (quantities and dates) so that we can finalise.",
        "information",
        "The commercial team needs our confirmed scope.",
        "Scope confirmed as in our request; quantities and dates attached. Please finalise.",
    ),
    "document_request": Needs(
        "Please return the signed confidentiality annex first; then we can release the document.",
        "documents",
        "The CDMO waits for our signed confidentiality annex.",
        "Signed annex attached; please release the document.",
    ),
    "schedule_change": Needs(
        "Planning needs your written approval of the revised plan before it can commit.",
        "decision",
        "Planning waits for our approval of the revised plan.",
        "Revised plan approved; please go ahead.",
    ),
    "site_visit": Needs(
        "Please send the visitors' names and ID numbers for the security check.",
        "information",
        "Security needs our visitors' names and ID numbers.",
        "Names and ID numbers attached.",
    ),
    "escalation": Needs(
        "To agree the recovery plan we need a call with your project lead this week.",
        "information",
        "The CDMO waits for a call with our project lead.",
        "Our project lead is free on Thursday at 10:00; invitation sent.",
    ),
    "other": Needs(
        "We need your purchase order number before finance can go on.",
        "payment",
        "Finance waits for our purchase order number.",
        "PO {po} is the one to use.",
    ),
}
DEFAULT_NEEDS = Needs(
    "We need your input before we can go on.",
    "information",
    "Waiting for our input.",
    "Here is the input you asked for.",
)

STATUS_CALLS = [
    "Progress on {program} reviewed against the plan; no new risks. Actions: CDMO to send the "
    "updated timeline.",
    "{program}: campaign on schedule; the open deviations and document requests walked through.",
    "Steering topics for {program}: capacity in the next quarter, the stability programme, open "
    "questions.",
    "{program}: batch status, QC backlog and the next milestones; minutes to follow.",
]
