"""The `ketacare` console script: Django's management commands plus our own.

ketacare demo          migrate, seed the demo clinics, print the accounts, serve
ketacare serve         production-style serving with gunicorn
ketacare audit-verify  check every clinic's audit hash chain against its anchors
ketacare audit-anchor  seal the current chain heads (after a crash; --adopt on upgrade)
ketacare ledger-verify check every clinic's controlled-substance ledger chain
ketacare outcomes-rebuild  recompute every course's stored outcomes (--clinic SLUG)
ketacare backup        a consistent, checksummed (and encrypted) copy of the database
ketacare restore       restore a backup into an empty database, then audit-verify
ketacare fhir-export  one clinic's chart as FHIR R4 NDJSON files (--clinic SLUG --out DIR)
ketacare research-export  a de-identified research extract (--clinic SLUG --out DIR)
ketacare synth         a synthetic clinic in bulk for scale tests (--clinic SLUG --patients N)
ketacare simulate      pharmacology simulation to CSV/JSON (no Django; see --help)
ketacare <command>     any Django management command (migrate, createsuperuser, ...)
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "audit-verify": "audit_verify",
    "audit-anchor": "audit_anchor",
    "db-roles": "db_roles",
    "fhir-export": "fhir_export",
    "research-export": "research_export",
    "ledger-verify": "ledger_verify",
    "outcomes-rebuild": "outcomes_rebuild",
}
# With KETACARE_MIGRATION_DATABASE_URL set (PostgreSQL), these run as the owner; the app's
# own URL then only names the role to grant to (docs/security.md, "Database roles").
OWNER_COMMANDS = {"migrate", "db_roles", "restore"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] == "simulate":
        # Pure NumPy/SciPy: answer before Django loads, so it starts fast.
        from ketacare.pharmacology.cli import main as simulate

        sys.exit(simulate(args[2:]))
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
        if args[1] == "demo":
            # The demo is the one place that turns debugging on (static files, error pages).
            os.environ.setdefault("KETACARE_DEBUG", "1")
    as_owner = len(args) > 1 and args[1] in OWNER_COMMANDS and _become_owner()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    from django.core.management import call_command, execute_from_command_line

    args[0] = "ketacare"
    execute_from_command_line(args)
    if as_owner and args[1] == "migrate":
        call_command("db_roles")  # new tables need their grants too


def _become_owner() -> bool:
    owner = os.environ.get("KETACARE_MIGRATION_DATABASE_URL")
    if not owner:
        return False
    os.environ["KETACARE_APP_DATABASE_URL"] = os.environ.get("KETACARE_DATABASE_URL", "")
    os.environ["KETACARE_DATABASE_URL"] = owner
    return True


if __name__ == "__main__":
    main()
