"""Treatment history, treatment-resistance staging and eligibility screening.

The pure rules (trial adequacy, resistance status, Thase-Rush and Maudsley staging,
screening) import no Django; models, services and selectors sit beside them.
"""
