"""Every word the dashboards show, in English and French, and how numbers and money are written."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CATALOGUE: dict[str, tuple[str, str]] = {
    # navigation and layout
    "app": ("OSCE SALW/SCA assistance portfolio", "Portefeuille d'assistance ALPC/SMC de l'OSCE"),
    "funding": ("Funding overview", "Vue d'ensemble du financement"),
    "gaps": ("Funding gaps", "Besoins de financement"),
    "progress": ("Progress", "Avancement"),
    "national-processes": ("National processes", "Processus nationaux"),
    "donor": ("Donor view", "Vue du donateur"),
    "data-quality": ("Data quality", "Qualité des données"),
    "filters": ("Filters", "Filtres"),
    "year_from": ("From year", "De l'année"),
    "year_to": ("To year", "À l'année"),
    "area": ("Area", "Domaine"),
    "beneficiary": ("Beneficiary State", "État bénéficiaire"),
    "status": ("Status", "Statut"),
    "any": ("any", "tous"),
    "apply": ("Apply", "Appliquer"),
    "download_csv": ("Download CSV", "Télécharger en CSV"),
    "log_out": ("Log out", "Se déconnecter"),
    "log_in": ("Log in", "Se connecter"),
    "email": ("E-mail", "Courriel"),
    "password": ("Password", "Mot de passe"),
    "bad_login": ("Wrong e-mail or password.", "Courriel ou mot de passe incorrect."),
    "locked": (
        "Too many failed logins; try again later.",
        "Trop d'échecs de connexion ; réessayez plus tard.",
    ),
    "process_scope_note": (
        "National processes belong to States, not to projects: this page filters by State and area only.",
        "Les processus nationaux relèvent des États, non des projets : filtre par État et domaine seulement.",
    ),
    "nothing": ("Nothing to show for these filters.", "Rien à afficher pour ces filtres."),
    "scope_note": (
        "Counts the projects requested in the chosen years and area, for the chosen State and status.",
        "Compte les projets demandés pendant les années, dans le domaine, pour l'État et au statut choisis.",
    ),
    # figures
    "budget": ("Budget", "Budget"),
    "pledged": ("Pledged", "Annoncé"),
    "received": ("Received", "Reçu"),
    "outstanding": ("Outstanding", "Restant dû"),
    "gap": ("Gap", "Déficit"),
    "coverage": ("Coverage", "Couverture"),
    "projects": ("Projects", "Projets"),
    "seeking_funding_count": ("Projects seeking funding", "Projets en recherche de financement"),
    "eur": ("EUR", "EUR"),
    "by_donor": ("Pledged and received by donor", "Annoncé et reçu par donateur"),
    "by_beneficiary": ("Funding by beneficiary State", "Financement par État bénéficiaire"),
    "map": ("Pledged per beneficiary State (map)", "Montants annoncés par État bénéficiaire (carte)"),
    "over_time": (
        "Pledges and receipts over time (cumulative)",
        "Annonces et versements dans le temps (cumul)",
    ),
    "by_area": ("Funding by area", "Financement par domaine"),
    "by_activity": ("Funding by activity type", "Financement par type d'activité"),
    "by_kind": ("Cash and in-kind", "Espèces et en nature"),
    "quarter": ("Quarter", "Trimestre"),
    "donor_col": ("Donor", "Donateur"),
    "state_col": ("State", "État"),
    "others": ("Others", "Autres"),
    "multi_count": (
        "A project in several States (or areas, activities) counts in full for each.",
        "Un projet couvrant plusieurs États (ou domaines, activités) compte en entier pour chacun.",
    ),
    "gaps_chart": (
        "Projects with an open gap, largest first",
        "Projets avec un déficit ouvert, du plus grand au plus petit",
    ),
    "code": ("Code", "Code"),
    "title": ("Title", "Titre"),
    "by_status": ("Projects and budget by status", "Projets et budget par statut"),
    "timeline": ("Timeline and percent complete", "Calendrier et pourcentage d'achèvement"),
    "percent_complete": ("Percent complete", "Pourcentage d'achèvement"),
    "overdue": ("Overdue milestones", "Jalons en retard"),
    "indicators": ("Indicators: target and actual", "Indicateurs : cible et réalisé"),
    "indicator": ("Indicator", "Indicateur"),
    "unit": ("Unit", "Unité"),
    "target": ("Target", "Cible"),
    "actual": ("Actual", "Réalisé"),
    "start": ("Start", "Début"),
    "end": ("End", "Fin"),
    "matrix": (
        "Maturity of national structures and procedures",
        "Maturité des structures et procédures nationales",
    ),
    "stage_changes": ("Stage changes per year", "Changements d'étape par an"),
    "process": ("Structure or procedure", "Structure ou procédure"),
    "stage": ("Stage", "Étape"),
    "year": ("Year", "Année"),
    "changes": ("Changes", "Changements"),
    "established_on": ("Established", "Établi le"),
    "donor_pledges": ("Pledges by project and status", "Annonces par projet et statut"),
    "donor_received": ("Received and outstanding", "Reçu et restant dû"),
    "donor_share": ("Share of all funding pledged", "Part de l'ensemble des annonces"),
    "donor_processes": (
        "National processes its projects helped build",
        "Processus nationaux soutenus par ses projets",
    ),
    "this_donor": ("This donor", "Ce donateur"),
    "other_donors": ("Other donors", "Autres donateurs"),
    "currency": ("Currency", "Devise"),
    "amount": ("Amount", "Montant"),
    "kind": ("Kind", "Type"),
    "activity": ("Activity type", "Type d'activité"),
    "stale_projects": ("Projects without a change in 90 days", "Projets sans modification depuis 90 jours"),
    "overdue_milestones": ("Overdue milestones", "Jalons en retard"),
    "unpaid_commitments": (
        "Committed pledges with nothing received after 12 months",
        "Engagements sans aucun versement après 12 mois",
    ),
    "missing_rates": (
        "Non-euro pledges or receipts without an exchange rate",
        "Annonces ou versements hors euro sans taux de change",
    ),
    "missing_rates_note": (
        "The API refuses a non-euro amount whose month has no rate, so this list stays empty.",
        "L'API refuse un montant hors euro sans taux pour son mois : cette liste reste donc vide.",
    ),
    "record": ("Record", "Enregistrement"),
    "detail": ("Detail", "Détail"),
    "since": ("Since", "Depuis"),
    # headline figures and their definitions
    "open_gap": ("Open gap", "Déficit ouvert"),
    "open_gap_projects": ("Projects with an open gap", "Projets avec un déficit ouvert"),
    "def_budget": ("Σ budget of the projects selected.", "Σ des budgets des projets retenus."),
    "def_pledged": (
        "Σ pledges not withdrawn, in euros at each pledge's own rate.",
        "Σ des annonces non retirées, en euros au taux propre à chaque annonce.",
    ),
    "def_received": (
        "Σ receipts, in euros at the rate of the month each arrived.",
        "Σ des versements, en euros au taux du mois de chaque versement.",
    ),
    "def_open_gap": (
        "Σ max(budget − pledged, 0) over the projects neither completed nor cancelled.",
        "Σ max(budget − annoncé, 0) sur les projets ni achevés ni annulés.",
    ),
    "def_open_gap_projects": (
        "Projects neither completed nor cancelled whose budget exceeds what is pledged.",
        "Projets ni achevés ni annulés dont le budget dépasse les annonces.",
    ),
    "def_coverage": ("Pledged ÷ budget.", "Annoncé ÷ budget."),
    "def_seeking_funding": (
        "Projects in the status “seeking funding”.",
        "Projets au statut « recherche de financement ».",
    ),
    "def_outstanding": (
        "Σ over pledges not withdrawn of max(pledged − received, 0).",
        "Σ sur les annonces non retirées de max(annoncé − reçu, 0).",
    ),
    "def_share": (
        "This donor's pledges ÷ all pledges to the projects selected.",
        "Annonces de ce donateur ÷ toutes les annonces aux projets retenus.",
    ),
    "fx_difference": ("Rate effect", "Effet de change"),
    "def_fx_difference": (
        "Received in euros at the receipts' months' rates, minus the same amounts at each pledge's own rate.",
        "Reçu en euros aux taux des mois des versements, moins les mêmes montants au taux de chaque annonce.",
    ),
    "fx_explained": (
        "Rate effect: a pledge in another currency is valued at its rate when pledged, each receipt at the"
        " rate of the month it arrived; when the euro weakens meanwhile, the same money is worth more euros.",
        "Effet de change : une annonce en devise est évaluée au taux du jour de l'annonce, chaque versement"
        " au taux de son mois ; si l'euro baisse entre-temps, la même somme vaut plus d'euros.",
    ),
    "fx_above": (
        "{donor} received {excess} more than it pledged; {fx} of it is the rate effect.",
        "{donor} a versé {excess} de plus qu'annoncé ; l'effet de change en explique {fx}.",
    ),
    "gaps_note": (
        "Every project neither completed nor cancelled whose budget exceeds what is pledged, at any stage.",
        "Tous les projets ni achevés ni annulés dont le budget dépasse les annonces, à toute étape.",
    ),
    # the line that says what a page shows
    "shows": ("Shows", "Affiche"),
    "all_projects": ("all projects", "tous les projets"),
    "years": ("Years {first}–{last}", "Années {first}–{last}"),
    "years_from": ("Years from {first}", "Années à partir de {first}"),
    "years_to": ("Years up to {last}", "Années jusqu'à {last}"),
    "api_docs": ("API documentation", "Documentation de l'API"),
    "filter_problems": (
        "Some filters were not applied: see the messages beside them.",
        "Certains filtres n'ont pas été appliqués : voir les messages à côté.",
    ),
    "no_state": (
        "No OSCE participating State or Partner has the code {code}.",
        "Aucun État participant ni partenaire de l'OSCE n'a le code {code}.",
    ),
    "bad_request": ("This request could not be read.", "Cette requête n'a pas pu être lue."),
    "no_table": ("This page has no table “{table}”.", "Cette page n'a pas de tableau « {table} »."),
    "sample_notice": (
        "Records whose code starts with SAMPLE- are fictitious sample data.",
        "Les enregistrements dont le code commence par SAMPLE- sont des données fictives d'exemple.",
    ),
}

WORDS: dict[str, tuple[str, str]] = {
    # statuses, stages, areas, kinds, activity types
    "requested": ("requested", "demandé"),
    "assessment": ("assessment", "évaluation"),
    "planning": ("planning", "planification"),
    "seeking_funding": ("seeking funding", "recherche de financement"),
    "implementation": ("implementation", "mise en œuvre"),
    "completed": ("completed", "achevé"),
    "cancelled": ("cancelled", "annulé"),
    "on_hold": ("on hold", "suspendu"),
    "planned": ("planned", "prévu"),
    "established": ("established", "établi"),
    "operational": ("operational", "opérationnel"),
    "sustained": ("sustained", "pérennisé"),
    "pledged": ("pledged", "annoncé"),
    "committed": ("committed", "engagé"),
    "paid": ("paid", "versé"),
    "withdrawn": ("withdrawn", "retiré"),
    "cash": ("cash", "espèces"),
    "in_kind": ("in kind", "en nature"),
    "structure": ("structure", "structure"),
    "procedure": ("procedure", "procédure"),
    "SALW": ("SALW", "ALPC"),
    "SCA": ("SCA", "SMC"),
    "stockpile_security": ("stockpile security", "sécurité des stocks"),
    "surplus_destruction_salw": ("destruction of surplus SALW", "destruction d'ALPC excédentaires"),
    "surplus_destruction_ammunition": (
        "destruction of surplus ammunition",
        "destruction de munitions excédentaires",
    ),
    "hazardous_propellant_disposal": (
        "disposal of melange and propellants",
        "élimination du mélange et des propergols",
    ),
    "marking_and_tracing": ("marking and tracing", "marquage et traçage"),
    "record_keeping": ("record-keeping", "tenue de registres"),
    "deactivation": ("deactivation", "neutralisation"),
    "border_and_export_controls": (
        "border and export controls",
        "contrôles aux frontières et des exportations",
    ),
    "collection_and_awareness": ("collection and awareness", "collecte et sensibilisation"),
    "training_and_capacity": ("training and capacity", "formation et renforcement des capacités"),
    "legislation_and_policy": ("legislation and policy", "législation et politiques"),
    "other": ("other", "autre"),
}


class Labels:
    """``labels["pledged"]`` in the page's language; ``labels.word(status)`` for a vocabulary term."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._i = 1 if lang == "fr" else 0

    def __getitem__(self, key: str) -> str:
        return CATALOGUE[key][self._i]

    def word(self, value: str) -> str:
        return WORDS[value][self._i] if value in WORDS else value

    def words(self, values: list[str] | tuple[str, ...]) -> dict[str, str]:
        return {v: self.word(v) for v in values}

    def money(self, amount: Decimal) -> str:
        """Exact, to the cent: € 1,234,567.89 (en) or 1 234 567,89 € (fr)."""
        text = f"{amount:,.2f}"
        if self.lang == "fr":
            return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"
        return "€\u00a0" + text

    def number(self, value: Decimal | int) -> str:
        text = f"{value:,}" if isinstance(value, int) else format(value.normalize(), ",f")
        return text.replace(",", "\u202f").replace(".", ",") if self.lang == "fr" else text

    def percent(self, ratio: Decimal | None) -> str:
        if ratio is None:
            return "–"
        text = str((ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        return (text.replace(".", ",") + "\u00a0%") if self.lang == "fr" else text + "%"
