"""The official Spanish versions of the PHQ-9 and the GAD-7, as the patient reads them.

Both are Pfizer's "Spanish for USA" translations, distributed with the English forms at
phqscreeners.com (the PHQ screeners' site) under the same terms: no permission is needed to
reproduce, translate, display or distribute them. The wording is transcribed from those
forms; scoring, bands and flags are the English instrument's (a translation changes only
the words). Other instruments are offered in English only: no validated Spanish wording
may be shipped for them (see docs/instruments.md, "Languages")."""

from __future__ import annotations

from .base import Wording

SOURCE = (
    "Pfizer Inc., PHQ-9 and GAD-7 'Spanish for USA' (phqscreeners.com); free to reproduce "
    "and translate"
)

_PHQ9_FREQUENCY = (
    "Ningún día",
    "Varios días",
    "Más de la mitad de los días",
    "Casi todos los días",
)
_PHQ9_DIFFICULTY = (
    "No ha sido difícil",
    "Un poco difícil",
    "Muy difícil",
    "Extremadamente difícil",
)

PHQ9_ES = Wording(
    language="es",
    name="Cuestionario sobre la salud del paciente-9 (PHQ-9)",
    preamble=(
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?"
    ),
    recall="Durante las últimas 2 semanas",
    items=(
        "Poco interés o placer en hacer cosas",
        "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
        "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
        "Se ha sentido cansado(a) o con poca energía",
        "Sin apetito o ha comido en exceso",
        "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con "
        "usted mismo(a) o con su familia",
        "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el "
        "periódico o ver la televisión",
        "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo "
        "contrario – muy inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo "
        "normal",
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
        "Si marcó cualquiera de los problemas, ¿qué tan difícil se le ha hecho cumplir con su "
        "trabajo, atender su casa, o relacionarse con otras personas debido a estos problemas?",
    ),
    options=(*(_PHQ9_FREQUENCY,) * 9, _PHQ9_DIFFICULTY),
    bands=("Mínima o ninguna", "Leve", "Moderada", "Moderadamente grave", "Grave"),
    source=SOURCE,
)

_GAD7_FREQUENCY = ("Nunca", "Varios días", "Más de la mitad de los días", "Casi todos los días")

GAD7_ES = Wording(
    language="es",
    name="Escala del trastorno de ansiedad generalizada-7 (GAD-7)",
    preamble=(
        "Durante las últimas 2 semanas, ¿con qué frecuencia le han molestado los siguientes "
        "problemas?"
    ),
    recall="Durante las últimas 2 semanas",
    items=(
        "Sentirse nervioso/a, intranquilo/a o con los nervios de punta",
        "No poder dejar de preocuparse o no poder controlar la preocupación",
        "Preocuparse demasiado por diferentes cosas",
        "Dificultad para relajarse",
        "Estar tan inquieto/a que es difícil permanecer sentado/a tranquilamente",
        "Molestarse o ponerse irritable fácilmente",
        "Sentir miedo como si algo terrible pudiera pasar",
    ),
    options=(_GAD7_FREQUENCY,) * 7,
    bands=("Mínima", "Leve", "Moderada", "Grave"),
    source=SOURCE,
)
