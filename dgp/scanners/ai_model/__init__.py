"""The AI model scanner (SPEC 3.3): static analysis of model files, never loading one,
and the EU AI Act questionnaire."""
