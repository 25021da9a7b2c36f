from __future__ import annotations

from django.urls import path

from ketacare.web.views import (
    account,
    audit,
    clinic,
    consent,
    consent_link,
    dashboard,
    deliveries,
    dosing,
    education,
    eligibility,
    exchange,
    guide_link,
    guides,
    home,
    ledger,
    measures,
    notes,
    outcomes,
    patients,
    portal,
    referrals,
    registry,
    schedule,
    selfreport,
    session_chart,
    session_settings,
    sessions,
    simulator,
    tokens,
)

patient = "c/<slug:clinic_slug>/patients/<uuid:patient_id>"
urlpatterns = [
    path("login/", account.SignInView.as_view(), name="login"),
    path("login/code/", account.signin_code, name="signin_code"),
    path("logout/", account.SignOutView.as_view(), name="logout"),
    path("account/", account.account_security, name="account_security"),
    path("account/password/", account.PasswordChangeView.as_view(), name="password_change"),
    path("account/two-factor/", account.mfa_enrol, name="mfa_enrol"),
    path("account/two-factor/remove/", account.mfa_reset_own, name="mfa_reset_own"),
    path("password-reset/", account.password_reset, name="password_reset"),
    path("password-reset/sent/", account.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        account.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", account.password_reset_complete, name="password_reset_complete"),
    path("", home.home, name="home"),
    path("switch-clinic/", home.clinic_switch, name="clinic_switch"),
    path("c/<slug:clinic_slug>/", clinic.clinic_home, name="clinic_home"),
    path("c/<slug:clinic_slug>/dashboard/", dashboard.dashboard, name="dashboard"),
    path("c/<slug:clinic_slug>/simulator/", simulator.simulator, name="simulator"),
    path(
        "c/<slug:clinic_slug>/alerts/<uuid:alert_id>/acknowledge/",
        measures.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("c/<slug:clinic_slug>/patients/", patients.patient_list, name="patient_list"),
    path("c/<slug:clinic_slug>/patients/new/", patients.patient_new, name="patient_new"),
    path(f"{patient}/", patients.patient_chart, name="patient_chart"),
    path(f"{patient}/edit/", patients.patient_edit, name="patient_edit"),
    path(f"{patient}/archive/", patients.patient_archive, name="patient_archive"),
    path(f"{patient}/merge/", registry.patient_merge, name="patient_merge"),
    path(
        "c/<slug:clinic_slug>/merges/<uuid:merge_id>/undo/",
        registry.merge_undo,
        name="merge_undo",
    ),
    path(f"{patient}/sessions/book/", sessions.session_schedule, name="session_schedule"),
    path(
        f"{patient}/sessions/<uuid:session_id>/given/", sessions.session_given, name="session_given"
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/cancel/",
        sessions.session_cancel,
        name="session_cancel",
    ),
    # Treatment history and eligibility forms, ahead of the generic chart sections.
    path(f"{patient}/history/<slug:kind>/add/", eligibility.history_add, name="history_add"),
    path(
        f"{patient}/history/<slug:kind>/<uuid:entry_id>/entered-in-error/",
        eligibility.history_retract,
        name="history_retract",
    ),
    path(f"{patient}/eligibility/run/", eligibility.screening_run, name="screening_run"),
    path(
        f"{patient}/eligibility/<uuid:screening_id>/accept/",
        eligibility.caution_accept,
        name="caution_accept",
    ),
    path(
        f"{patient}/eligibility/<uuid:screening_id>/accept-cautions/",
        eligibility.cautions_accept,
        name="cautions_accept",
    ),
    path(
        "c/<slug:clinic_slug>/settings/eligibility/",
        eligibility.eligibility_settings,
        name="eligibility_settings",
    ),
    # The Plan & orders tab's forms (ketacare.dosing), ahead of the generic chart sections.
    path(f"{patient}/plan/preview/", dosing.dose_preview, name="dose_preview"),
    path(f"{patient}/plan/new/", dosing.plan_create, name="plan_create"),
    path(f"{patient}/plan/<uuid:plan_id>/change/", dosing.plan_change, name="plan_change"),
    path(
        f"{patient}/plan/sessions/<uuid:session_id>/move/",
        dosing.plan_session_reschedule,
        name="plan_session_reschedule",
    ),
    path(f"{patient}/plan/orders/new/", dosing.order_create, name="order_create"),
    path(
        f"{patient}/plan/orders/<uuid:order_id>/double-check/",
        dosing.order_double_check,
        name="order_double_check",
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/chart/",
        session_chart.session_page,
        name="session_page",
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/alerts/",
        session_chart.session_alerts,
        name="session_alerts",
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/do/<slug:action>/",
        session_chart.session_act,
        name="session_act",
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/guides/",
        guides.session_guides,
        name="session_guides",
    ),
    path("c/<slug:clinic_slug>/guide-settings/", guides.guide_settings_page, name="guide_settings"),
    path(
        f"{patient}/sessions/<uuid:session_id>/rems-form/",
        session_chart.rems_form_page,
        name="rems_form_page",
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/rems-form.csv",
        session_chart.rems_form_csv,
        name="rems_form_csv",
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/rems-form.pdf",
        session_chart.rems_form_pdf,
        name="rems_form_pdf",
    ),
    path("c/<slug:clinic_slug>/rems-forms/", session_chart.rems_form_list, name="rems_form_list"),
    path("c/<slug:clinic_slug>/ledger/", ledger.ledger_home, name="ledger_home"),
    path("c/<slug:clinic_slug>/ledger/manage/", ledger.ledger_manage, name="ledger_manage"),
    path("c/<slug:clinic_slug>/ledger/count/", ledger.ledger_count, name="ledger_count"),
    path(
        "c/<slug:clinic_slug>/ledger/count/<uuid:count_id>/",
        ledger.ledger_count_result,
        name="ledger_count_result",
    ),
    path(
        "c/<slug:clinic_slug>/ledger/settings/",
        ledger.ledger_settings_page,
        name="ledger_settings",
    ),
    path(
        "c/<slug:clinic_slug>/ledger/report/",
        ledger.ledger_report,
        name="ledger_report",
    ),
    path(
        f"{patient}/sessions/<uuid:session_id>/ledger/",
        ledger.session_ledger,
        name="session_ledger",
    ),
    path(
        "c/<slug:clinic_slug>/session-settings/",
        session_settings.session_settings_page,
        name="session_settings",
    ),
    # The Measures tab and its forms, ahead of the generic chart sections.
    path(f"{patient}/measures/", measures.measures_tab, name="patient_measures"),
    path(f"{patient}/measures/record/", measures.measure_record, name="measure_record"),
    path(f"{patient}/measures/links/", measures.measure_link_create, name="measure_link_create"),
    path(
        f"{patient}/measures/links/<uuid:link_id>/revoke/",
        measures.measure_link_revoke,
        name="measure_link_revoke",
    ),
    path(f"{patient}/measures/plan/", measures.measure_plan, name="measure_plan"),
    # Outcomes: the tab's decisions and the patient report, ahead of the generic sections.
    path(
        f"{patient}/outcomes/accept/",
        outcomes.recommendation_accept,
        name="recommendation_accept",
    ),
    path(
        f"{patient}/outcomes/dismiss/",
        outcomes.recommendation_dismiss,
        name="recommendation_dismiss",
    ),
    path(
        f"{patient}/outcomes/events/",
        outcomes.clinical_event_create,
        name="clinical_event_create",
    ),
    path(
        f"{patient}/outcomes/events/<uuid:event_id>/entered-in-error/",
        outcomes.clinical_event_in_error,
        name="clinical_event_in_error",
    ),
    path(f"{patient}/report/", outcomes.patient_report, name="patient_report"),
    path(f"{patient}/report/pdf/", outcomes.patient_report_pdf, name="patient_report_pdf"),
    # E-consent (ketacare.consent), ahead of the generic chart sections.
    path(f"{patient}/econsent/send/", consent.econsent_send, name="econsent_send"),
    path(
        f"{patient}/econsent/<uuid:econsent_id>/countersign/",
        consent.econsent_countersign,
        name="econsent_countersign",
    ),
    path(f"{patient}/econsent/<uuid:econsent_id>/pdf/", consent.econsent_pdf, name="econsent_pdf"),
    # Clinical and therapy notes (ketacare.notes), ahead of the generic chart sections.
    path(f"{patient}/notes/new/", notes.note_new, name="note_new"),
    path(f"{patient}/notes/search/", notes.note_search, name="note_search"),
    path(f"{patient}/notes/<uuid:note_id>/", notes.note_detail, name="note_detail"),
    path(f"{patient}/notes/<uuid:note_id>/save/", notes.note_save, name="note_save"),
    path(f"{patient}/notes/<uuid:note_id>/sign/", notes.note_sign, name="note_sign"),
    path(f"{patient}/notes/<uuid:note_id>/addenda/", notes.note_addendum, name="note_addendum"),
    path("c/<slug:clinic_slug>/notes/templates/", notes.note_templates, name="note_templates"),
    # Patient education (ketacare.education), ahead of the generic chart sections.
    path(f"{patient}/education/send/", education.education_send, name="education_send"),
    # Letters in and out (ketacare.exchange), ahead of the generic chart sections.
    path(f"{patient}/letters/", exchange.patient_letters, name="patient_letters"),
    path(f"{patient}/referrals/new/", referrals.referral_new, name="referral_new"),
    path(f"{patient}/own-view/send/", portal.portal_link_send, name="portal_link_send"),
    path(
        f"{patient}/letters/<uuid:document_id>/",
        exchange.patient_letter_file,
        name="patient_letter_file",
    ),
    path(f"{patient}/<slug:section>/", patients.patient_chart, name="patient_chart_section"),
    path(f"{patient}/<slug:section>/add/", patients.entry_add, name="entry_add"),
    path(
        f"{patient}/<slug:section>/<uuid:entry_id>/entered-in-error/",
        patients.entry_retract,
        name="entry_retract",
    ),
    path("c/<slug:clinic_slug>/worklist/", outcomes.worklist, name="worklist"),
    path("c/<slug:clinic_slug>/outcomes/", outcomes.outcomes_dashboard, name="outcomes_dashboard"),
    path(
        "c/<slug:clinic_slug>/outcomes/settings/",
        outcomes.outcome_settings,
        name="outcome_settings",
    ),
    path("c/<slug:clinic_slug>/audit/", audit.audit_list, name="audit_list"),
    path(
        "c/<slug:clinic_slug>/deliveries/failed/",
        deliveries.failed_deliveries,
        name="failed_deliveries",
    ),
    path(
        "c/<slug:clinic_slug>/deliveries/failed/<uuid:message_id>/dismiss/",
        deliveries.failed_delivery_dismiss,
        name="failed_delivery_dismiss",
    ),
    path("c/<slug:clinic_slug>/protocols/", dosing.clinic_protocols, name="clinic_protocols"),
    path("c/<slug:clinic_slug>/dosing-settings/", dosing.dosing_settings, name="dosing_settings"),
    path("c/<slug:clinic_slug>/calendar/", dosing.clinic_calendar, name="clinic_calendar"),
    # The clinic's day: the board, the front desk's session page, rooms, the staff feed.
    path("c/<slug:clinic_slug>/schedule/", schedule.schedule_board, name="schedule_board"),
    path("c/<slug:clinic_slug>/schedule/book/", schedule.schedule_book, name="schedule_book"),
    path("c/<slug:clinic_slug>/schedule/rooms/", schedule.schedule_rooms, name="schedule_rooms"),
    path("c/<slug:clinic_slug>/schedule/feed/", schedule.schedule_feed_page, name="schedule_feed"),
    path(
        "c/<slug:clinic_slug>/schedule/sessions/<uuid:session_id>/",
        schedule.schedule_session,
        name="schedule_session",
    ),
    path(
        "c/<slug:clinic_slug>/schedule/sessions/<uuid:session_id>/<slug:action>/",
        schedule.schedule_act,
        name="schedule_act",
    ),
    # A staff member's calendar feed: public, the secret token is the only key.
    path("feeds/schedule/<str:token>.ics", schedule.schedule_ics, name="schedule_ics"),
    # A patient's self-report link: public, the signed token is the only key.
    path("r/<str:token>/", selfreport.selfreport, name="selfreport"),
    path("r/<str:token>/consent/", consent_link.consent_link, name="consent_link"),
    path("r/<str:token>/me/", portal.portal, name="portal"),
    path(
        "r/<str:token>/me/consents/<uuid:econsent_id>/",
        portal.portal_consent_pdf,
        name="portal_consent_pdf",
    ),
    path("r/<str:token>/guide/", guide_link.guide_link, name="guide_link"),
    path("r/<str:token>/consent/pdf/", consent_link.consent_link_pdf, name="consent_link_pdf"),
    path("r/<str:token>/education/", education.education_link, name="education_link"),
    path(
        "c/<slug:clinic_slug>/education/", education.education_articles, name="education_articles"
    ),
    path(
        "c/<slug:clinic_slug>/education/<uuid:article_id>/",
        education.education_article_edit,
        name="education_article_edit",
    ),
    path(
        "c/<slug:clinic_slug>/consent-documents/",
        consent.consent_documents,
        name="consent_documents",
    ),
    path(
        "c/<slug:clinic_slug>/consent-documents/<uuid:document_id>/",
        consent.consent_document_edit,
        name="consent_document_edit",
    ),
    path("c/<slug:clinic_slug>/tokens/", tokens.token_list, name="token_list"),
    path("c/<slug:clinic_slug>/exchange/exports/", exchange.export_list, name="export_list"),
    path(
        "c/<slug:clinic_slug>/exchange/research/",
        exchange.research_export_page,
        name="research_export",
    ),
    path(
        "c/<slug:clinic_slug>/exchange/import/",
        exchange.referral_import_page,
        name="referral_import",
    ),
    # Referrals and letters to the referrer (ketacare.referrals).
    path("c/<slug:clinic_slug>/referrals/", referrals.referral_list, name="referral_list"),
    path(
        "c/<slug:clinic_slug>/referrals/letter-templates/",
        referrals.letter_templates,
        name="letter_templates",
    ),
    path(
        "c/<slug:clinic_slug>/referrals/<uuid:referral_id>/",
        referrals.referral_detail,
        name="referral_detail",
    ),
    path(
        "c/<slug:clinic_slug>/referrals/<uuid:referral_id>/status/",
        referrals.referral_move,
        name="referral_move",
    ),
    path(
        "c/<slug:clinic_slug>/referrals/<uuid:referral_id>/letters/",
        referrals.referral_letter,
        name="referral_letter",
    ),
    path(
        "c/<slug:clinic_slug>/tokens/<int:token_id>/revoke/",
        tokens.token_revoke,
        name="token_revoke",
    ),
]
