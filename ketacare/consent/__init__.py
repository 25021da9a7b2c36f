"""E-consent: versioned consent documents per form of treatment, read, checked, signed and
withdrawn by the patient through a link, countersigned by staff (docs/consent.md)."""
