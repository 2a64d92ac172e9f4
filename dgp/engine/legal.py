"""Legal references used by rules. Final article numbers only."""

from dgp.domain.finding import LegalRef


def gdpr(article: str) -> LegalRef:
    return LegalRef("GDPR", article)


def uavg(article: str) -> LegalRef:
    return LegalRef("UAVG", article)


PERSONAL_DATA = (gdpr("4(1)"), gdpr("5(1)(c)"))
SECURITY = (gdpr("5(1)(f)"), gdpr("32"))
SPECIAL_CATEGORY = (gdpr("9"), uavg("22"))
CRIMINAL_DATA = (gdpr("10"), uavg("31"), uavg("32"), uavg("33"))
NATIONAL_ID = (gdpr("87"), uavg("46"))
RETENTION = (gdpr("5(1)(e)"),)
TRACKING = (
    LegalRef("ePrivacy Directive", "5(3)"),
    LegalRef("Telecommunicatiewet", "11.7a"),
    gdpr("6(1)(a)"),
)
TRANSPARENCY = (gdpr("13"), gdpr("14"))


def ai_act(article: str) -> LegalRef:
    """Regulation (EU) 2024/1689 (the AI Act)."""
    return LegalRef("AI Act", article)


# a model file that runs code when loaded: the system's cybersecurity and its data's
AI_MODEL_SECURITY = (*SECURITY, ai_act("15(5)"))
# personal data in a model (training data, features): data governance and the GDPR
AI_TRAINING_DATA = (*PERSONAL_DATA, ai_act("10"))
# documentation that must travel with a model: technical documentation, instructions
# for use, and a general-purpose model's documentation for downstream providers
AI_DOCUMENTATION = (ai_act("11"), ai_act("13"), ai_act("53(1)(b)"))
