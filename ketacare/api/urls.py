"""The /api/v1 application: routers from each domain app, one auth scheme, one error map."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from ketacare.accounts.api import router as accounts_router
from ketacare.api import errors
from ketacare.api.auth import AUTH
from ketacare.audit.api import router as audit_router
from ketacare.consent.api import router as consent_router
from ketacare.dosing.api import router as dosing_router
from ketacare.education.api import router as education_router
from ketacare.eligibility.api import router as eligibility_router
from ketacare.exchange.api import router as exchange_router
from ketacare.guides.api import router as guides_router
from ketacare.ledger.api import router as ledger_router
from ketacare.measures.api import router as measures_router
from ketacare.notes.api import router as notes_router
from ketacare.outcomes.api import router as outcomes_router
from ketacare.patients.api import merge_router
from ketacare.patients.api import router as patients_router
from ketacare.portal.api import router as portal_router
from ketacare.referrals.api import router as referrals_router
from ketacare.schedule.api import router as schedule_router
from ketacare.treatment.api import router as treatment_router

api = NinjaAPI(
    title="KetaCare API",
    version="1",
    description="Clinic-scoped API for KetaCare. Authenticate with a session cookie (and "
    "CSRF token) or `Authorization: Bearer <token>`. Records outside your clinic answer 404.",
    auth=AUTH,
    urls_namespace="api-v1",
    # Swagger UI is served from Ninja's static files; no validator badge from the internet.
    docs=Swagger(settings={"validatorUrl": None}),
)
errors.install(api)
api.add_router("/", accounts_router)
api.add_router("/patients", patients_router)
api.add_router("/patient-merges", merge_router)
api.add_router("/audit", audit_router)
api.add_router("/", measures_router)
api.add_router("/", treatment_router)
api.add_router("/", eligibility_router)
api.add_router("/", dosing_router)
api.add_router("/", outcomes_router)
api.add_router("/", exchange_router)
api.add_router("/ledger", ledger_router)
api.add_router("/schedule", schedule_router)
api.add_router("/referrals", referrals_router)
api.add_router("/", portal_router)
api.add_router("/", consent_router)
api.add_router("/", notes_router)
api.add_router("/", guides_router)
api.add_router("/", education_router)
