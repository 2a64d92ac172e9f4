"""The EU AI Act (Regulation (EU) 2024/1689) questionnaire: answers in, a classification out.

Classified in the order the Act's own logic needs, so that a prohibited system is
never reported as merely high-risk: prohibited practices (art. 5); high-risk (art. 6:
annex I products, annex III areas, the art. 6(3) exceptions, which never apply to
profiling); general-purpose AI model duties (art. 53; systemic risk art. 51 and 55);
transparency duties (art. 50); minimal risk. High-risk, general-purpose and
transparency duties can apply together; minimal only when nothing else does.

The questions are defined once, here, with their English and Dutch text; the JSON
schema (`schema()`, committed as data/ai_act_questionnaire.schema.json) is made from
them. Each verdict names the article, the answer that triggered it, and the duties
that follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dgp.domain.job import ScanInputError

LANGUAGES = ("en", "nl")

# art. 5(1): practice id -> (point, English, Dutch)
PRACTICES: dict[str, tuple[str, str, str]] = {
    "subliminal_manipulation": (
        "5(1)(a)",
        "subliminal, manipulative or deceptive techniques that distort behaviour",
        "subliminale, manipulatieve of misleidende technieken die gedrag verstoren",
    ),
    "exploiting_vulnerabilities": (
        "5(1)(b)",
        "exploiting vulnerabilities due to age, disability or social or economic situation",
        "uitbuiten van kwetsbaarheden door leeftijd, handicap of sociale of economische situatie",
    ),
    "social_scoring": (
        "5(1)(c)",
        "social scoring leading to detrimental or disproportionate treatment",
        "sociale scoring die leidt tot nadelige of onevenredige behandeling",
    ),
    "crime_risk_profiling": (
        "5(1)(d)",
        "predicting the risk of a criminal offence based solely on profiling",
        "voorspellen van het risico op een strafbaar feit uitsluitend op basis van profilering",
    ),
    "facial_image_scraping": (
        "5(1)(e)",
        "untargeted scraping of facial images to build facial recognition databases",
        "ongericht scrapen van gezichtsafbeeldingen voor databanken voor gezichtsherkenning",
    ),
    "emotion_recognition_workplace_education": (
        "5(1)(f)",
        "inferring emotions of people at the workplace or in education",
        "afleiden van emoties van mensen op de werkplek of in het onderwijs",
    ),
    "biometric_categorisation_sensitive": (
        "5(1)(g)",
        "biometric categorisation to infer race, political opinions, union membership, "
        "religion, sex life or sexual orientation",
        "biometrische categorisering om ras, politieke opvattingen, vakbondslidmaatschap, "
        "religie, seksleven of seksuele gerichtheid af te leiden",
    ),
    "realtime_remote_biometric_identification": (
        "5(1)(h)",
        "real-time remote biometric identification in public spaces for law enforcement",
        "biometrische identificatie op afstand in real time in openbare ruimten voor "
        "rechtshandhaving",
    ),
}
# annex III: use id -> (point, English, Dutch)
ANNEX_III: dict[str, tuple[str, str, str]] = {
    "biometric_identification": ("1(a)", "remote biometric identification",
                                 "biometrische identificatie op afstand"),
    "biometric_categorisation": ("1(b)", "biometric categorisation by sensitive attributes",
                                 "biometrische categorisering op gevoelige kenmerken"),
    "emotion_recognition": ("1(c)", "emotion recognition", "emotieherkenning"),
    "critical_infrastructure": ("2", "safety component of critical infrastructure",
                                "veiligheidscomponent van kritieke infrastructuur"),
    "education_access": ("3(a)", "admission to education", "toelating tot onderwijs"),
    "education_assessment": ("3(b)", "evaluating learning outcomes",
                             "beoordelen van leerresultaten"),
    "employment_recruitment": ("4(a)", "recruitment and selection (CV screening)",
                               "werving en selectie (cv-screening)"),
    "employment_decisions": ("4(b)", "decisions on work relationships, tasks, monitoring",
                             "besluiten over arbeidsrelaties, taken, monitoring"),
    "public_benefits": ("5(a)", "eligibility for public benefits and services",
                        "recht op overheidsuitkeringen en -diensten"),
    "credit_scoring": ("5(b)", "creditworthiness and credit scoring",
                       "kredietwaardigheid en kredietscores"),
    "insurance_pricing": ("5(c)", "risk and pricing of life and health insurance",
                          "risico en prijs van levens- en ziektekostenverzekering"),
    "emergency_dispatch": ("5(d)", "emergency call triage and dispatch",
                           "triage en inzet bij noodoproepen"),
    "law_enforcement": ("6", "law enforcement", "rechtshandhaving"),
    "migration_border": ("7", "migration, asylum and border control",
                         "migratie, asiel en grenstoezicht"),
    "justice_democracy": ("8", "administration of justice and democratic processes",
                          "rechtsbedeling en democratische processen"),
}  # fmt: skip
# art. 6(3) exceptions: id -> (point, English, Dutch)
EXCEPTIONS: dict[str, tuple[str, str, str]] = {
    "narrow_procedural_task": ("6(3)(a)", "performs a narrow procedural task",
                               "voert een beperkte procedurele taak uit"),
    "improves_completed_activity": ("6(3)(b)", "improves the result of a completed human "
                                    "activity", "verbetert het resultaat van een voltooide "
                                    "menselijke activiteit"),
    "detects_decision_patterns": ("6(3)(c)", "detects decision patterns without replacing "
                                  "human assessment", "detecteert besluitpatronen zonder de "
                                  "menselijke beoordeling te vervangen"),
    "preparatory_task": ("6(3)(d)", "performs a preparatory task",
                         "voert een voorbereidende taak uit"),
}  # fmt: skip
SYSTEMIC_RISK_FLOP = 1e25  # art. 51(2): cumulative training compute above this
PROVIDER_DUTIES = ("9", "10", "11", "12", "13", "14", "15", "16", "17", "43", "49", "72", "73")
DEPLOYER_DUTIES = ("26",)
FRIA_USES = frozenset({"credit_scoring", "insurance_pricing"})  # art. 27(1)


@dataclass(frozen=True)
class Question:
    kind: str  # "boolean", "number", "string", "choice", "choices"
    en: str
    nl: str
    choices: tuple[str, ...] = ()


QUESTIONS: dict[str, Question] = {
    "language": Question("choice", "Language of the findings", "Taal van de bevindingen",
                         LANGUAGES),
    "system_name": Question("string", "Name of the AI system", "Naam van het AI-systeem"),
    "role": Question("choice", "Your role for this system", "Uw rol voor dit systeem",
                     ("provider", "deployer")),
    "practices": Question("choices", "Practices the system is used for (art. 5(1))",
                          "Praktijken waarvoor het systeem wordt gebruikt (art. 5(1))",
                          tuple(PRACTICES)),
    "medical_or_safety_purpose": Question(
        "boolean", "Emotion recognition only for medical or safety reasons (art. 5(1)(f))",
        "Emotieherkenning alleen om medische of veiligheidsredenen (art. 5(1)(f))"),
    "annex_i_safety_component": Question(
        "boolean", "Safety component of (or itself) a product under annex I legislation that "
        "needs third-party conformity assessment (art. 6(1))",
        "Veiligheidscomponent van (of zelf) een product onder bijlage I-wetgeving met "
        "conformiteitsbeoordeling door een derde (art. 6(1))"),
    "annex_iii_uses": Question("choices", "Annex III uses (art. 6(2))",
                               "Toepassingen uit bijlage III (art. 6(2))", tuple(ANNEX_III)),
    "art_6_3_exception": Question("choice", "Art. 6(3) condition that applies",
                                  "Voorwaarde van art. 6(3) die van toepassing is",
                                  ("none", *EXCEPTIONS)),
    "profiling": Question("boolean", "The system profiles natural persons",
                          "Het systeem profileert natuurlijke personen"),
    "public_body_or_public_service": Question(
        "boolean", "Deployed by a public body or a private party providing public services",
        "Ingezet door een overheidsorgaan of een private partij die openbare diensten "
        "verleent"),
    "general_purpose_model": Question("boolean", "It is a general-purpose AI model (art. 3(63))",
                                      "Het is een AI-model voor algemene doeleinden (art. 3(63))"),
    "training_compute_flop": Question("number", "Cumulative training compute in FLOP",
                                      "Cumulatieve rekenkracht voor training in FLOP"),
    "designated_systemic_risk": Question(
        "boolean", "Designated by the Commission as having systemic risk (art. 52)",
        "Door de Commissie aangewezen als model met systeemrisico (art. 52)"),
    "interacts_with_people": Question("boolean", "Interacts directly with people (a chatbot)",
                                      "Heeft directe interactie met mensen (een chatbot)"),
    "generates_synthetic_content": Question(
        "boolean", "Generates synthetic audio, image, video or text",
        "Genereert synthetische audio, beelden, video of tekst"),
    "emotion_recognition_or_biometric_categorisation": Question(
        "boolean", "Recognises emotions or categorises people biometrically",
        "Herkent emoties of categoriseert mensen biometrisch"),
    "deep_fake": Question("boolean", "Generates or manipulates deep fakes",
                          "Genereert of manipuleert deepfakes"),
}  # fmt: skip

_TEXT = {
    "prohibited": ("Prohibited practice under art. {ref}: {what}.",
                   "Verboden praktijk onder art. {ref}: {what}."),
    "annex_i": ("High-risk under art. 6(1): safety component of an annex I product.",
                "Hoog risico onder art. 6(1): veiligheidscomponent van een product uit bijlage I."),
    "annex_iii": ("High-risk under art. 6(2), annex III point {ref}: {what}.",
                  "Hoog risico onder art. 6(2), bijlage III punt {ref}: {what}."),
    "profiling": (" The art. 6(3) exception does not apply: the system profiles people.",
                  " De uitzondering van art. 6(3) geldt niet: het systeem profileert personen."),
    "exception": ("Annex III point {ref} ({what}), but not high-risk under art. {exc}.",
                  "Bijlage III punt {ref} ({what}), maar geen hoog risico onder art. {exc}."),
    "gpai": ("General-purpose AI model: art. 53 applies.",
             "AI-model voor algemene doeleinden: art. 53 is van toepassing."),
    "systemic": ("General-purpose AI model with systemic risk (art. 51{why}): art. 53 and 55.",
                 "AI-model voor algemene doeleinden met systeemrisico (art. 51{why}): "
                 "art. 53 en 55."),
    "50(1)": ("Art. 50(1): people must be told they interact with an AI system.",
              "Art. 50(1): mensen moeten weten dat zij met een AI-systeem communiceren."),
    "50(2)": ("Art. 50(2): synthetic output must be marked machine-readable as AI-made.",
              "Art. 50(2): synthetische output moet machineleesbaar als AI-gemaakt zijn "
              "gemarkeerd."),
    "50(3)": ("Art. 50(3): people exposed to emotion recognition or biometric "
              "categorisation must be informed.",
              "Art. 50(3): mensen die worden blootgesteld aan emotieherkenning of biometrische "
              "categorisering moeten worden geïnformeerd."),
    "50(4)": ("Art. 50(4): deep fakes must be disclosed as artificially made.",
              "Art. 50(4): deepfakes moeten als kunstmatig gemaakt worden bekendgemaakt."),
    "minimal": ("Minimal risk: no duty of art. 5, 6, 50 or 53 follows from the answers.",
                "Minimaal risico: uit de antwoorden volgt geen plicht uit art. 5, 6, 50 of 53."),
    "duties": (" Duties: {duties}.", " Verplichtingen: {duties}."),
}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    rule_id: str
    article: str
    answer: str  # the question whose answer triggered it
    description: str
    duties: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def check(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers if they fit the questions; ScanInputError naming what does not."""
    unknown = sorted(set(answers) - set(QUESTIONS))
    if unknown:
        raise ScanInputError(f"the AI Act questionnaire has no question {', '.join(unknown)}")
    for key, value in answers.items():
        q = QUESTIONS[key]
        ok = {
            "boolean": isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool) and value >= 0,
            "string": isinstance(value, str) and len(value) <= 200,
            "choice": value in q.choices,
            "choices": isinstance(value, list) and all(v in q.choices for v in value),
        }[q.kind]
        if not ok:
            wanted = f"one of {', '.join(q.choices)}" if q.choices else f"a {q.kind}"
            raise ScanInputError(f"questionnaire answer {key!r} must be {wanted}")
    return answers


def classify(answers: dict[str, Any]) -> list[Verdict]:
    """The verdicts the answers lead to, most severe first."""
    check(answers)
    lang = LANGUAGES.index(answers.get("language", "en"))

    def say(key: str, **kw: Any) -> str:
        return _TEXT[key][lang].format(**kw)

    def duties(articles: tuple[str, ...]) -> str:
        return say("duties", duties=", ".join(f"art. {a}" for a in articles))

    practices = [
        p
        for p in answers.get("practices", [])
        if not (
            p == "emotion_recognition_workplace_education"
            and answers.get("medical_or_safety_purpose") is True
        )
    ]
    if practices:  # art. 5 first: nothing else is reported for a prohibited system
        return [
            Verdict(
                "ai_model.ai_act.prohibited",
                PRACTICES[p][0],
                "practices",
                say("prohibited", ref=PRACTICES[p][0], what=PRACTICES[p][1 + lang]),
                extra={"practice": p},
            )
            for p in practices
        ]
    verdicts: list[Verdict] = []
    deployer = answers.get("role") == "deployer"
    uses = answers.get("annex_iii_uses", [])
    high_duties = DEPLOYER_DUTIES if deployer else PROVIDER_DUTIES
    if deployer and (answers.get("public_body_or_public_service") or FRIA_USES & set(uses)):
        high_duties = (*high_duties, "27")
    if answers.get("annex_i_safety_component"):
        verdicts.append(
            Verdict(
                "ai_model.ai_act.high_risk",
                "6(1)",
                "annex_i_safety_component",
                say("annex_i") + duties(high_duties),
                high_duties,
            )
        )
    exception = answers.get("art_6_3_exception", "none")
    profiling = answers.get("profiling") is True
    for use in uses:
        ref, what = ANNEX_III[use][0], ANNEX_III[use][1 + lang]
        if exception != "none" and not profiling:
            exc = EXCEPTIONS[exception][0]
            verdicts.append(
                Verdict(
                    "ai_model.ai_act.high_risk_exception",
                    exc,
                    "art_6_3_exception",
                    say("exception", ref=ref, what=what, exc=exc) + duties(("6(4)", "49(2)")),
                    ("6(4)", "49(2)"),
                    {"annex_iii": ref},
                )
            )
            continue
        text = say("annex_iii", ref=ref, what=what)
        if exception != "none":
            text += say("profiling")
        verdicts.append(
            Verdict(
                "ai_model.ai_act.high_risk",
                "6(2)",
                "annex_iii_uses",
                text + duties(high_duties),
                high_duties,
                {"annex_iii": ref},
            )
        )
    if answers.get("general_purpose_model"):
        flop = answers.get("training_compute_flop", 0)
        if flop > SYSTEMIC_RISK_FLOP or answers.get("designated_systemic_risk"):
            why = "(2)" if flop > SYSTEMIC_RISK_FLOP else "(1)(b)"
            answer = "training_compute_flop" if why == "(2)" else "designated_systemic_risk"
            verdicts.append(
                Verdict(
                    "ai_model.ai_act.systemic_risk",
                    f"51{why}",
                    answer,
                    say("systemic", why=why) + duties(("52", "53", "55")),
                    ("52", "53", "55"),
                    {"training_compute_flop": flop},
                )
            )
        else:
            verdicts.append(
                Verdict(
                    "ai_model.ai_act.general_purpose",
                    "53",
                    "general_purpose_model",
                    say("gpai") + duties(("53", "54")),
                    ("53", "54"),
                )
            )
    for key, article in (
        ("interacts_with_people", "50(1)"),
        ("generates_synthetic_content", "50(2)"),
        ("emotion_recognition_or_biometric_categorisation", "50(3)"),
        ("deep_fake", "50(4)"),
    ):
        if answers.get(key):
            verdicts.append(
                Verdict("ai_model.ai_act.transparency", article, key, say(article), (article,))
            )
    if not verdicts:
        verdicts.append(
            Verdict("ai_model.ai_act.minimal_risk", "95", "", say("minimal"), ("4", "95"))
        )
    return verdicts


def schema() -> dict[str, Any]:
    """The questionnaire as a JSON schema (draft 2020-12), English and Dutch."""
    kinds = {"boolean": "boolean", "number": "number", "string": "string"}
    properties: dict[str, Any] = {}
    for key, q in QUESTIONS.items():
        prop: dict[str, Any] = {"description": q.en, "x-description-nl": q.nl}
        if q.kind in kinds:
            prop["type"] = kinds[q.kind]
            if q.kind == "number":
                prop["minimum"] = 0
            if q.kind == "string":
                prop["maxLength"] = 200
        elif q.kind == "choice":
            prop["enum"] = list(q.choices)
        else:
            prop.update(type="array", items={"enum": list(q.choices)}, uniqueItems=True)
        properties[key] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dataguardian.example/schemas/ai-act-questionnaire.json",
        "title": "EU AI Act (Regulation (EU) 2024/1689) questionnaire",
        "x-title-nl": "Vragenlijst AI-verordening (Verordening (EU) 2024/1689)",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
