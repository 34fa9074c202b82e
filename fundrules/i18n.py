"""Every built-in sentence of fundrules in French, English, Italian and Spanish.

Kept apart from the logic so a translator edits one file. Every table has the four
languages for every key (a test checks it); :func:`say` falls back to English.
"""

from __future__ import annotations

from typing import Literal, get_args

from fundrules.diagnostics import Diagnostic
from fundrules.errors import InvalidArgument

__all__ = ["FIELD_WORDS", "ITEM_WORDS", "LANGS", "UI", "Lang", "check_lang", "printable", "say"]

#: The languages of packs, explanations and the command line.
Lang = Literal["en", "fr", "it", "es"]
LANGS: tuple[str, ...] = get_args(Lang)


def check_lang(lang: str | None) -> None:
    """Refuse a language fundrules does not speak (``None``: English, else the pack's first)."""
    if lang is not None and lang not in LANGS:
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"fundrules does not speak `{str(lang)[:20]}`",
            hint="use one of " + ", ".join(LANGS) + " (or no lang: the pack's language)",
            path="lang")])

#: Headings, statuses, outcomes and sentence templates.
UI: dict[str, dict[str, str]] = {
    "outcome": {"en": "outcome", "fr": "résultat", "it": "esito", "es": "resultado"},
    "award": {"en": "award", "fr": "aide", "it": "contributo", "es": "ayuda"},
    "call": {"en": "call", "fr": "appel", "it": "bando", "es": "convocatoria"},
    "criteria": {"en": "criteria", "fr": "critères", "it": "criteri", "es": "criterios"},
    "missing": {"en": "missing", "fr": "manquant", "it": "mancante", "es": "falta"},
    "source": {"en": "source", "fr": "source", "it": "fonte", "es": "fuente"},
    "note": {"en": "note", "fr": "remarque", "it": "nota", "es": "nota"},
    "none": {"en": "none", "fr": "aucune", "it": "nessuno", "es": "ninguna"},
    "unknown": {"en": "unknown", "fr": "inconnu", "it": "sconosciuto", "es": "desconocido"},
    "true": {"en": "yes", "fr": "oui", "it": "sì", "es": "sí"},
    "false": {"en": "no", "fr": "non", "it": "no", "es": "no"},
    "met": {"en": "met", "fr": "rempli", "it": "soddisfatto", "es": "cumplido"},
    "unmet": {"en": "unmet", "fr": "non rempli", "it": "non soddisfatto", "es": "no cumplido"},
    "eligible": {"en": "eligible", "fr": "éligible", "it": "ammissibile", "es": "admisible"},
    "ineligible": {"en": "ineligible", "fr": "non éligible", "it": "non ammissibile",
                   "es": "no admisible"},
    "incomplete": {"en": "incomplete: some facts are missing",
                   "fr": "incomplet : des informations manquent",
                   "it": "incompleto: mancano alcune informazioni",
                   "es": "incompleto: faltan datos"},
    "not_encoded": {"en": "Criteria of the fund that this pack does not decide:",
                    "fr": "Critères du fonds que ce pack ne décide pas :",
                    "it": "Criteri del fondo che questo pacchetto non decide:",
                    "es": "Criterios del fondo que este paquete no decide:"},
    "quote": {"en": "in the source's words", "fr": "selon la source", "it": "secondo la fonte",
              "es": "según la fuente"},
    "provide": {"en": "To decide, provide:", "fr": "Pour décider, fournir :",
                "it": "Per decidere, fornire:", "es": "Para decidir, aportar:"},
    "window": {"en": " between {start} and {end}", "fr": " entre le {start} et le {end}",
               "it": " tra il {start} e il {end}", "es": " entre el {start} y el {end}"},
    "at_least": {"en": "{need} needed, {have} counted{window}: {diff} more would meet it",
                 "fr": "il faut {need}, on compte {have}{window} : il en manque {diff}",
                 "it": "ne servono {need}, se ne contano {have}{window}: ne mancano {diff}",
                 "es": "se necesitan {need}, se cuentan {have}{window}: faltan {diff}"},
    "at_most": {"en": "at most {need} allowed, {have} counted{window}: {diff} less would "
                      "meet it",
                "fr": "au plus {need} admis, on compte {have}{window} : {diff} de moins "
                      "le remplirait",
                "it": "al massimo {need} ammessi, se ne contano {have}{window}: {diff} in "
                      "meno lo soddisferebbe",
                "es": "como máximo {need} admitidos, se cuentan {have}{window}: {diff} menos "
                      "lo cumpliría"},
    "compare": {"en": "needed: {op}{need}; given: {have}",
                "fr": "requis : {op}{need} ; donné : {have}",
                "it": "richiesto: {op}{need}; dato: {have}",
                "es": "requerido: {op}{need}; dado: {have}"},
    "colon": {"en": ":", "fr": " :", "it": ":", "es": ":"},
    "one_of": {"en": "needed: {need}; given: {have}", "fr": "requis : {need} ; donné : {have}",
               "it": "richiesto: {need}; dato: {have}", "es": "requerido: {need}; dado: {have}"},
    "or": {"en": " or ", "fr": " ou ", "it": " o ", "es": " o "},
    "decide_with": {"en": "to decide it, provide: {paths}",
                    "fr": "pour le décider, fournir : {paths}",
                    "it": "per deciderlo, fornire: {paths}",
                    "es": "para decidirlo, aportar: {paths}"},
    "range": {"en": "{min} to {max} {cur}, set by assessed need",
              "fr": "de {min} à {max} {cur}, selon le besoin évalué",
              "it": "da {min} a {max} {cur}, secondo il bisogno valutato",
              "es": "de {min} a {max} {cur}, según la necesidad evaluada"},
    "monthly": {"en": "{amount} {cur} a month for up to {months} months",
                "fr": "{amount} {cur} par mois pendant {months} mois au plus",
                "it": "{amount} {cur} al mese per al massimo {months} mesi",
                "es": "{amount} {cur} al mes durante {months} meses como máximo"},
    "award_range": {"en": "{min}-{max} {cur} (set by assessed need)",
                    "fr": "{min}-{max} {cur} (selon le besoin évalué)",
                    "it": "{min}-{max} {cur} (secondo il bisogno valutato)",
                    "es": "{min}-{max} {cur} (según la necesidad evaluada)"},
    "outcome_eligible": {"en": "eligible", "fr": "éligible", "it": "ammissibile",
                         "es": "admisible"},
    "outcome_ineligible": {"en": "ineligible", "fr": "non éligible", "it": "non ammissibile",
                           "es": "no admisible"},
    "outcome_incomplete": {"en": "incomplete", "fr": "incomplet", "it": "incompleto",
                           "es": "incompleto"},
    "share": {"en": "an equal share of the budget ({cur})",
              "fr": "une part égale du budget ({cur})",
              "it": "una quota uguale del budget ({cur})",
              "es": "una parte igual del presupuesto ({cur})"},
}

#: What each list item is called, for paths such as ``engagements[1].days``.
ITEM_WORDS: dict[str, dict[str, str]] = {
    "engagements": {"en": "engagement", "fr": "contrat", "it": "contratto", "es": "contrato"},
    "income": {"en": "income line", "fr": "revenu", "it": "reddito", "es": "ingreso"},
    "benefits": {"en": "benefit", "fr": "allocation", "it": "indennità", "es": "prestación"},
    "prior_awards": {"en": "earlier grant", "fr": "aide reçue", "it": "contributo ricevuto",
                     "es": "ayuda recibida"},
}

#: Applicant fields (``status``) and item fields (``engagements.days``) in words.
FIELD_WORDS: dict[str, dict[str, str]] = {
    "id": {"en": "application reference", "fr": "référence de la demande",
           "it": "riferimento della domanda", "es": "referencia de la solicitud"},
    "submitted_at": {"en": "date and time of the application", "fr": "date et heure de la "
                     "demande", "it": "data e ora della domanda", "es": "fecha y hora de la "
                     "solicitud"},
    "submitted_date": {"en": "date of the application", "fr": "date de la demande",
                       "it": "data della domanda", "es": "fecha de la solicitud"},
    "call": {"en": "call applied to", "fr": "appel visé", "it": "bando scelto",
             "es": "convocatoria elegida"},
    "residence_country": {"en": "country of residence", "fr": "pays de résidence",
                          "it": "paese di residenza", "es": "país de residencia"},
    "nationalities": {"en": "nationalities", "fr": "nationalités", "it": "cittadinanze",
                      "es": "nacionalidades"},
    "role": {"en": "role (artist, technician or both)", "fr": "rôle (artiste, technicien ou "
             "les deux)", "it": "ruolo (artista, tecnico o entrambi)", "es": "función (artista, "
             "técnico o ambos)"},
    "status": {"en": "employment status", "fr": "statut professionnel",
               "it": "posizione lavorativa", "es": "situación laboral"},
    "social_security": {"en": "social security regime", "fr": "régime de sécurité sociale",
                        "it": "regime previdenziale", "es": "régimen de la seguridad social"},
    "unemployed": {"en": "currently without work", "fr": "actuellement sans emploi",
                   "it": "attualmente senza lavoro", "es": "actualmente sin trabajo"},
    "covid_hardship": {"en": "financial hardship caused by Covid-19", "fr": "difficultés "
                       "financières dues au Covid-19", "it": "difficoltà economiche dovute al "
                       "Covid-19", "es": "dificultades económicas por la Covid-19"},
    "shortfall_reason": {"en": "reason for the shortfall of work", "fr": "raison du manque "
                         "d'activité", "it": "motivo del calo di lavoro", "es": "motivo de la "
                         "falta de trabajo"},
    "long_term_illness_months": {"en": "expected months of sick leave", "fr": "mois d'arrêt "
                                 "maladie prévus", "it": "mesi di malattia previsti",
                                 "es": "meses de baja previstos"},
    "engagements": {"en": "work history (engagements)", "fr": "historique des contrats",
                    "it": "storico dei contratti", "es": "historial de contratos"},
    "income": {"en": "income", "fr": "revenus", "it": "redditi", "es": "ingresos"},
    "benefits": {"en": "benefits and support received", "fr": "allocations et aides perçues",
                 "it": "indennità e sostegni percepiti", "es": "prestaciones y ayudas "
                 "percibidas"},
    "prior_awards": {"en": "grants already received", "fr": "aides déjà reçues",
                     "it": "contributi già ricevuti", "es": "ayudas ya recibidas"},
    "needs": {"en": "financial needs", "fr": "besoins financiers", "it": "bisogni economici",
              "es": "necesidades económicas"},
    "needs.monthly_essential_costs": {"en": "essential monthly costs", "fr": "dépenses "
                                      "mensuelles essentielles", "it": "spese mensili "
                                      "essenziali", "es": "gastos mensuales esenciales"},
    "needs.savings": {"en": "savings", "fr": "épargne", "it": "risparmi", "es": "ahorros"},
    "needs.home_equity": {"en": "home equity", "fr": "valeur nette du logement",
                          "it": "valore netto della casa", "es": "valor neto de la vivienda"},
    "needs.expected_income_6m": {"en": "expected income over 6 months", "fr": "revenus "
                                 "attendus sur 6 mois", "it": "redditi attesi in 6 mesi",
                                 "es": "ingresos previstos en 6 meses"},
    "engagements.production": {"en": "production", "fr": "production", "it": "produzione",
                               "es": "producción"},
    "engagements.production_listed": {"en": "production on the fund's list", "fr": "production "
                                      "sur la liste du fonds", "it": "produzione nell'elenco "
                                      "del fondo", "es": "producción en la lista del fondo"},
    "engagements.sector": {"en": "sector", "fr": "secteur", "it": "settore", "es": "sector"},
    "engagements.contract": {"en": "type of contract", "fr": "type de contrat",
                             "it": "tipo di contratto", "es": "tipo de contrato"},
    "engagements.registered": {"en": "declared to social security", "fr": "déclaré à la "
                               "sécurité sociale", "it": "dichiarato alla previdenza",
                               "es": "dado de alta en la seguridad social"},
    "engagements.paid": {"en": "paid", "fr": "rémunéré", "it": "retribuito", "es": "pagado"},
    "engagements.netflix": {"en": "Netflix production", "fr": "production Netflix",
                            "it": "produzione Netflix", "es": "producción de Netflix"},
    "engagements.start": {"en": "start date", "fr": "date de début", "it": "data di inizio",
                          "es": "fecha de inicio"},
    "engagements.end": {"en": "end date", "fr": "date de fin", "it": "data di fine",
                        "es": "fecha de fin"},
    "engagements.work_dates": {"en": "exact days worked", "fr": "jours travaillés exacts",
                               "it": "giorni lavorati esatti", "es": "días trabajados exactos"},
    "engagements.days": {"en": "days worked", "fr": "jours travaillés", "it": "giorni lavorati",
                         "es": "días trabajados"},
    "engagements.cachets": {"en": "cachets (artist fees)", "fr": "cachets", "it": "cachet",
                            "es": "cachés"},
    "engagements.outcome": {"en": "what became of it", "fr": "issue du contrat",
                            "it": "esito del contratto", "es": "resultado del contrato"},
    "engagements.stop": {"en": "stop", "fr": "arrêt", "it": "interruzione", "es": "parada"},
    "engagements.stop.date": {"en": "date it stopped", "fr": "date d'arrêt",
                              "it": "data di interruzione", "es": "fecha de la parada"},
    "engagements.stop.cause": {"en": "cause of the stop", "fr": "cause de l'arrêt",
                               "it": "causa dell'interruzione", "es": "causa de la parada"},
    "engagements.days_remaining": {"en": "contracted days left", "fr": "jours restant au "
                                   "contrat", "it": "giorni contrattuali restanti",
                                   "es": "días de contrato restantes"},
    "income.period": {"en": "period", "fr": "période", "it": "periodo", "es": "período"},
    "income.amount": {"en": "amount", "fr": "montant", "it": "importo", "es": "importe"},
    "income.basis": {"en": "basis (gross, net, profit)", "fr": "base (brut, net, bénéfice)",
                     "it": "base (lordo, netto, utile)", "es": "base (bruto, neto, beneficio)"},
    "benefits.scheme": {"en": "scheme", "fr": "dispositif", "it": "misura", "es": "prestación"},
    "benefits.receiving": {"en": "currently receiving it", "fr": "perçue actuellement",
                           "it": "percepita attualmente", "es": "percibida actualmente"},
    "benefits.eligible": {"en": "entitled to it", "fr": "droit ouvert", "it": "diritto "
                          "riconosciuto", "es": "con derecho"},
    "benefits.rights_opened": {"en": "date the rights opened", "fr": "date d'ouverture des "
                               "droits", "it": "data di apertura dei diritti",
                               "es": "fecha de apertura de los derechos"},
    "benefits.rights_ended": {"en": "date the rights ended", "fr": "date de fin des droits",
                              "it": "data di fine dei diritti", "es": "fecha de fin de los "
                              "derechos"},
    "benefits.monthly": {"en": "monthly amount", "fr": "montant mensuel",
                         "it": "importo mensile", "es": "importe mensual"},
    "prior_awards.fund": {"en": "fund", "fr": "fonds", "it": "fondo", "es": "fondo"},
    "prior_awards.call": {"en": "call", "fr": "appel", "it": "bando", "es": "convocatoria"},
    "prior_awards.amount": {"en": "amount", "fr": "montant", "it": "importo",
                            "es": "importe"},
    "prior_awards.date": {"en": "date", "fr": "date", "it": "data", "es": "fecha"},
}


def say(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang`` (English when missing), with ``{values}`` filled in."""
    texts = UI[key]
    return texts.get(lang, texts["en"]).format(**values)


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))
            if c not in (0x09, 0x0A)}
_CONTROL.update({0x0D: "\\r", 0x1B: "\\x1b"})
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x2028, 0x2029, 0x200E, 0x200F, 0x202A, 0x202B,
                                              0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068,
                                              0x2069)})


def printable(text: str) -> str:
    r"""``text`` safe to print on a terminal: control characters written as escapes.

    Applicant and pack text reaches text outputs (``evaluate``, ``explain``, the batch
    summary); an escape sequence in it (``"\x1b[31m"``) would otherwise drive the reader's
    terminal. Every C0 and C1 control character but tab and newline, and the Unicode
    line separators and bidirectional overrides, become ``\xNN`` / ``\uNNNN``; all other
    text (accents, any script) is kept as it is.
    """
    return text.translate(_CONTROL)
