from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketacare.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes, maintenance planning and reports"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from ketacare.common.course_state import register
        from ketacare.outcomes.state import (
            clinic_state_rebuild,
            course_state_refresh,
            rebuild_missing_course_state,
        )

        register(course_state_refresh, clinic_state_rebuild)
        post_migrate.connect(rebuild_missing_course_state, sender=self)
