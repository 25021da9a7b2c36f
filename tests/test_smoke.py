import pytest

from ketacare.accounts.policy import Role
from ketacare.patients import services
from ketacare.audit.models import AuditEvent


@pytest.mark.django_db
def test_register_patient_writes_audit(make_access, api_client):
    access = make_access(Role.PRESCRIBER)
    patient = services.patient_create(access=access, data={
        "mrn": "A1", "legal_given_name": "Ann", "legal_family_name": "Lee",
        "date_of_birth": "1980-01-02", "sex_at_birth": "female"})
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="create").count() == 1
    response = api_client(access).get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 200
