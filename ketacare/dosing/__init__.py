"""Protocols, dose calculation, dose orders and treatment plans.

The pure core (the protocol catalogue, `calculate_dose`, schedule generation) imports
no Django; models, services and selectors sit beside it.
"""
