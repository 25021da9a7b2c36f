from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketacare.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes, maintenance planning and reports"

    def ready(self) -> None:
        from ketacare.common.course_state import register
        from ketacare.outcomes.state import clinic_state_rebuild, course_state_refresh

        register(course_state_refresh, clinic_state_rebuild)
