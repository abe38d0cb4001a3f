"""The words of the app's frame (login, navigation, errors, dashboard), French first, English beside them.

Data only: :data:`ren_index.web.i18n.MESSAGES` is built from this catalogue and the other modules
of this package by :func:`~ren_index.web.i18n.merge_catalogues`.
"""

from __future__ import annotations

FOUNDATION_MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "app.name": "ren-index — révision",
        "app.tagline": "Ressources éducatives numériques",
        "nav.main": "Navigation principale",
        "nav.skip": "Aller au contenu",
        "nav.dashboard": "Tableau de bord",
        "nav.queue": "File de validation",
        "nav.events": "Exporter le journal",
        "lang.label": "Langue",
        "lang.fr": "Français",
        "lang.en": "English",
        "user.signed_in_as": "Connecté·e : {name}",
        "user.logout": "Se déconnecter",
        "role.documentalist": "documentaliste",
        "role.librarian": "bibliothécaire",
        "role.admin": "administrateur·rice",
        "login.title": "Connexion",
        "login.intro": "Connectez-vous pour travailler la file de validation.",
        "login.username": "Nom d'utilisateur",
        "login.password": "Mot de passe",
        "login.submit": "Se connecter",
        "login.invalid": (
            "Nom d'utilisateur ou mot de passe incorrect. Après {failures} échecs, les connexions à ce "
            "compte depuis cette adresse réseau sont suspendues pendant {minutes} minutes ; "
            "un administrateur peut les rétablir."
        ),
        "login.logged_out": "Vous êtes déconnecté·e.",
        "login.required": "Connectez-vous pour continuer.",
        "dashboard.title": "Tableau de bord",
        "dashboard.welcome": "Bienvenue, {name}.",
        "error.back": "Retour au tableau de bord",
        "error.login": "Se connecter",
        "error.generic.title": "Erreur",
        "error.generic.message": "La requête n'a pas pu être traitée.",
        "error.401.title": "Session expirée",
        "error.401.message": "Votre session a expiré ou vous n'êtes pas connecté·e. Reconnectez-vous.",
        "error.403.title": "Accès refusé",
        "error.403.message": "Votre rôle ne permet pas cette action.",
        "error.404.title": "Page introuvable",
        "error.404.message": "Cette page n'existe pas.",
        "error.405.title": "Méthode non permise",
        "error.405.message": "Cette action n'est pas permise ici.",
        "error.csrf": (
            "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez "
            "(jeton CSRF manquant ou incorrect)."
        ),
    },
    "en": {
        "app.name": "ren-index — review",
        "app.tagline": "Digital educational resources",
        "nav.main": "Main navigation",
        "nav.skip": "Skip to content",
        "nav.dashboard": "Dashboard",
        "nav.queue": "Review queue",
        "nav.events": "Export the audit trail",
        "lang.label": "Language",
        "lang.fr": "Français",
        "lang.en": "English",
        "user.signed_in_as": "Signed in: {name}",
        "user.logout": "Sign out",
        "role.documentalist": "documentalist",
        "role.librarian": "librarian",
        "role.admin": "administrator",
        "login.title": "Sign in",
        "login.intro": "Sign in to work through the review queue.",
        "login.username": "User name",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.invalid": (
            "Incorrect user name or password. After {failures} failures, sign-ins to this account from "
            "this network address are suspended for {minutes} minutes; an administrator can restore them."
        ),
        "login.logged_out": "You are signed out.",
        "login.required": "Sign in to continue.",
        "dashboard.title": "Dashboard",
        "dashboard.welcome": "Welcome, {name}.",
        "error.back": "Back to the dashboard",
        "error.login": "Sign in",
        "error.generic.title": "Error",
        "error.generic.message": "The request could not be processed.",
        "error.401.title": "Session expired",
        "error.401.message": "Your session has expired or you are not signed in. Sign in again.",
        "error.403.title": "Access denied",
        "error.403.message": "Your role does not allow this action.",
        "error.404.title": "Page not found",
        "error.404.message": "This page does not exist.",
        "error.405.title": "Method not allowed",
        "error.405.message": "This action is not allowed here.",
        "error.csrf": (
            "The form has expired or is not valid. Reload the page and try again "
            "(missing or wrong CSRF token)."
        ),
    },
}
