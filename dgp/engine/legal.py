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
