"""The default education articles in Spanish, one per form of treatment, seeded for each
clinic beside the English ones (same topics, same facts, same sources). Pure data.

Written in this project's own plain Spanish (neutral Latin-American Spanish, "usted"), from
the same seed document and clinical reference notes as the English articles
(content.py); not a word-for-word translation. The sources name the same published
sources, in Spanish words. Every article must read at grade 8 or lower by the Crawford
formula for Spanish (tests/education/test_core.py computes it)."""

from __future__ import annotations

from ketacare.education.content import DefaultArticle

ES = "es"

# Sources, in words (the same sources as content.py).
SEED = "Información de la clínica para pacientes sobre la ketamina para la depresión"
APA = (
    "Declaración de consenso de la Asociación Americana de Psiquiatría sobre la ketamina "
    "(Sanacora et al., 2017)"
)
SERIES = "Phillips et al., American Journal of Psychiatry, 2019 (una serie de infusiones)"
MAINTENANCE = "Andrade, Journal of Clinical Psychiatry, 2017 (mantener el efecto)"
SPRAVATO_LABEL = "Información para prescribir de Spravato (esketamina)"
SPRAVATO_HCP = "Guía de dosis de Spravato para profesionales de la salud (spravatohcp.com)"
REMS = "Programa de seguridad REMS de Spravato (spravatorems.com)"
IV_DISCHARGE = "Práctica publicada de las clínicas para ir a casa después de la ketamina por vena"
IM = "Loo et al., 2016, y Andrade, 2017 (ketamina en inyección)"
ORAL = "Andrade, Journal of Clinical Psychiatry, 2019 (ketamina por la boca)"
SUBLINGUAL = (
    "Lara et al., International Journal of Neuropsychopharmacology, 2013 (debajo de la lengua)"
)
ER = "Glue et al., Nature Medicine, 2024 (tabletas de ketamina de liberación lenta)"
ASA = "Declaración de la Sociedad Americana de Anestesiólogos sobre el uso seguro de la ketamina"


_COMMON_AFTER = """## Efectos secundarios

La mayoría de los efectos duran poco. Suelen pasar en unas horas.

- Puede sentirse raro o como en un sueño. Su cuerpo o el cuarto pueden parecer extraños.
- Puede sentirse mareado o con sueño.
- Puede tener náuseas.
- Su presión puede subir un rato.

Si se siente mal, dígalo al equipo enseguida. Están ahí para ayudarle.

## Cuánto tiempo ayuda

Muchas personas se sienten mejor en horas o días. El efecto suele durar de días a semanas.
Por eso, la mayoría necesita más dosis con el tiempo. La terapia de conversación también
ayuda. Le ayuda a usar los días buenos para hacer cambios que duren."""


DEFAULT_ARTICLES_ES: tuple[DefaultArticle, ...] = (
    DefaultArticle(
        topic="iv",
        slug="iv-ketamine-es",
        language=ES,
        title="Ketamina por suero (en la vena)",
        body="""## Qué es

La ketamina es un medicamento. Primero se usó para dormir a las personas en una cirugía. En
una dosis mucho más baja, puede aliviar la depresión. Casi todas las pastillas para la
depresión actúan sobre una sustancia del cerebro llamada serotonina. La ketamina actúa sobre
otra, llamada glutamato. Esto puede ayudar al cerebro a crear nuevas conexiones.

Las pastillas para la depresión pueden tardar semanas. La ketamina suele actuar mucho más
rápido, a veces en horas.

## Qué pasa en una sesión

Una enfermera le pone un tubo fino en una vena del brazo. El medicamento entra gota a gota,
casi siempre en unos 40 minutos. Usted se sienta o se acuesta en un cuarto tranquilo. El
equipo revisa su presión, su respiración y cómo se siente. Una persona del equipo se queda
con usted todo el tiempo.

La mayoría recibe unas pocas sesiones en dos o tres semanas. Después, algunas personas
vuelven de vez en cuando para mantener el efecto.

"""
        + _COMMON_AFTER
        + """

## Volver a casa

No puede manejar el resto del día. No maneje hasta el día siguiente. Un familiar o un amigo
debe llevarle a casa. No se vaya solo.""",
        sources=(SEED, APA, SERIES, MAINTENANCE, IV_DISCHARGE),
    ),
    DefaultArticle(
        topic="im",
        slug="im-ketamine-es",
        language=ES,
        title="Ketamina en inyección (en el músculo)",
        body="""## Qué es

La ketamina es un medicamento que puede aliviar la depresión, a menudo en horas o días.
Actúa de otra forma que casi todas las pastillas para la depresión.

En esta forma, el medicamento se da con una inyección en un músculo, casi siempre en la parte
de arriba del brazo. Es rápido y no hace falta suero.

## Qué pasa en una sesión

Una enfermera o un médico le pone la inyección en la clínica. Luego usted descansa en un
cuarto tranquilo. El efecto empieza en pocos minutos. El equipo revisa su presión y cómo se
siente. Una persona del equipo se queda con usted hasta que pase el efecto.

"""
        + _COMMON_AFTER
        + """

## Volver a casa

No maneje el resto del día. Un familiar o un amigo debe llevarle a casa.""",
        sources=(SEED, IM, APA, IV_DISCHARGE),
    ),
    DefaultArticle(
        topic="intranasal",
        slug="esketamine-nasal-spray-es",
        language=ES,
        title="Esketamina en aerosol nasal (Spravato)",
        body="""## Qué es

Spravato es un aerosol para la nariz. Tiene esketamina, un pariente cercano de la ketamina.
Está aprobado para la depresión que no ha mejorado con otros medicamentos. Se usa junto con
una pastilla para la depresión que usted toma por la boca.

Usted mismo se pone el aerosol, pero solo en la clínica. Nunca se lo puede llevar a casa.
Antes de la primera dosis, usted y su médico le inscriben en un programa de seguridad.

## Qué pasa en una sesión

El equipo revisa su presión antes de la dosis. Usted se pone el medicamento en la nariz. El
equipo revisa su presión otra vez unos 40 minutos después. También revisa su respiración.

Usted se queda en la clínica al menos dos horas. Luego el equipo revisa que esté bien para
irse. Casi todos tienen dos sesiones por semana al principio. Más adelante, las sesiones son
menos seguidas.

"""
        + _COMMON_AFTER
        + """

## Volver a casa

Otra persona debe llevarle a casa. No maneje ni use máquinas hasta el día siguiente, después
de haber dormido bien.""",
        sources=(SEED, SPRAVATO_LABEL, SPRAVATO_HCP, REMS),
    ),
    DefaultArticle(
        topic="oral",
        slug="oral-ketamine-es",
        language=ES,
        title="Ketamina que se traga o se pone debajo de la lengua",
        body="""## Qué es

La ketamina también viene en líquido, en tableta o en pastilla para chupar. Usted la traga o
la deja debajo de la lengua hasta que se deshaga. Así llega menos medicamento a la sangre.
Por eso la dosis es más alta que una dosis por suero.

Su médico elige la dosis para usted. La dosis suele empezar baja y sube poco a poco. Las
dosis suelen ser cada pocos días o una vez por semana.

## Cómo cuidarse

Los expertos aconsejan tomar cada dosis con una persona preparada que le cuide. Tómela solo
como le dice su médico. Nunca cambie la dosis por su cuenta. Guárdela bajo llave, lejos de
otras personas.

"""
        + _COMMON_AFTER
        + """

## Después de una dosis

No maneje el resto del día. Pregunte a su equipo cuándo puede volver a manejar.""",
        sources=(SEED, ORAL, SUBLINGUAL, APA),
    ),
    DefaultArticle(
        topic="oral_er",
        slug="extended-release-ketamine-es",
        language=ES,
        title="Tabletas de ketamina de liberación lenta",
        body="""## Qué es

Las tabletas de liberación lenta sueltan el medicamento poco a poco durante muchas horas. En
un estudio, las personas las tomaron dos veces por semana durante tres meses. Las tabletas
ayudaron a que la depresión no volviera. Menos personas tuvieron depresión otra vez que con
una tableta sin medicamento.

En ese estudio, las tabletas no subieron la presión. Pocas personas se sintieron raras o con
sueño. Casi todas las dosis se tomaron en casa.

## ¿Son para mí?

Estas tabletas todavía se están estudiando. Puede que no estén aprobadas donde usted vive.
Pregunte a su médico si son una opción para usted.

## Cómo cuidarse

Tome las tabletas solo como le dice su médico. No las parta ni las mastique. Guárdelas bajo
llave, lejos de otras personas. Avise a su equipo si se siente mal o si su ánimo baja.""",
        sources=(SEED, ER),
    ),
    DefaultArticle(
        topic="kap",
        slug="ketamine-assisted-psychotherapy-es",
        language=ES,
        title="Ketamina con terapia de conversación (KAP)",
        body="""## Qué es

La KAP une la ketamina con la terapia de conversación. Usted habla con un terapeuta antes,
durante o después de una sesión de ketamina. La ketamina se da de la forma de siempre, por
suero, por inyección o en aerosol nasal.

## Por qué ayuda la terapia

La ketamina puede aliviar el ánimo bajo muy rápido. Pero el efecto suele pasar en días o
semanas. La terapia le ayuda a aprovechar los días buenos. Puede trabajar en lo que piensa y
en lo que hace. Puede aprender nuevas formas de salir adelante. Esto puede ayudar a que el
efecto dure.

## Qué pasa

Antes de una sesión, usted y su terapeuta ponen sus metas. Durante la sesión, el terapeuta
puede ayudarle a sentirse tranquilo y seguro. Después, hablan de lo que sintió y de lo que
significa para usted.

Una persona preparada del equipo le cuida durante cada dosis. Los efectos como sentirse en
un sueño, el mareo o la presión alta suelen pasar en unas horas.

## Volver a casa

Alguien debe llevarle a casa. No maneje hasta el día siguiente.""",
        sources=(SEED, APA, ASA, MAINTENANCE),
    ),
)
