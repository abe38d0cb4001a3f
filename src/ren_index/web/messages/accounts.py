"""The words of the admin page for accounts (``/review/accounts``), French first, English beside them.

Data only; merged into :data:`ren_index.web.i18n.MESSAGES`. The ``accounts.error.*`` keys are the
``key`` of :class:`ren_index.web.accounts.AccountError`, whose own text (French / English) is what
the command line prints.
"""

from __future__ import annotations

ACCOUNTS_MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "nav.accounts": "Comptes",
        "action.user_role_changed": "Changement de rôle",
        "action.user_password_reset": "Réinitialisation du mot de passe",
        "accounts.title": "Comptes",
        "accounts.intro": (
            "Les comptes de l'interface de révision. Les dates sont à l'heure de Montréal. "
            "Un changement de rôle ou de mot de passe ferme les sessions ouvertes du compte."
        ),
        "accounts.list": "Comptes existants",
        "accounts.col.name": "Nom",
        "accounts.col.role": "Rôle",
        "accounts.col.created": "Créé",
        "accounts.col.last_login": "Dernière connexion",
        "accounts.col.state": "État",
        "accounts.col.actions": "Actions",
        "accounts.never": "jamais",
        "accounts.active": "actif",
        "accounts.inactive": "inactif",
        "accounts.locked_from": "verrouillé depuis {client} jusqu'à {until}",
        "accounts.you": "(vous)",
        "accounts.manage": "Gérer",
        "accounts.add": "Ajouter un compte",
        "accounts.name": "Nom d'utilisateur",
        "accounts.role": "Rôle",
        "accounts.password": "Mot de passe initial",
        "accounts.new_password": "Nouveau mot de passe",
        "accounts.password_confirm": "Mot de passe, une seconde fois",
        "accounts.password_hint": "Au moins {min} caractères. Il n'est jamais réaffiché.",
        "accounts.add_submit": "Créer le compte",
        "accounts.change_role": "Changer le rôle",
        "accounts.reset_password": "Réinitialiser le mot de passe",
        "accounts.reset_confirm": "Réinitialiser le mot de passe de ce compte et fermer ses sessions ?",
        "accounts.unlock": "Déverrouiller",
        "accounts.remove": "Supprimer…",
        "accounts.remove_title": "Supprimer le compte {name} ?",
        "accounts.remove_text": (
            "Le compte {name} ({role}) sera supprimé et ses sessions fermées. Ce qu'il a fait reste "
            "dans le journal, à son nom."
        ),
        "accounts.remove_submit": "Supprimer définitivement",
        "accounts.cancel": "Annuler",
        "accounts.rules": (
            "Vous ne pouvez ni supprimer votre compte ni vous retirer le rôle d'administrateur, "
            "et il reste toujours au moins un administrateur."
        ),
        "accounts.done.created": "Compte {name} créé ({role}).",
        "accounts.done.role": "Rôle de {name} changé : {role}. Ses sessions ouvertes sont fermées.",
        "accounts.done.role_same": "{name} avait déjà le rôle {role} : rien n'a changé.",
        "accounts.done.password": (
            "Mot de passe de {name} réinitialisé ; ses sessions ouvertes sont fermées et ses verrous levés."
        ),
        "accounts.done.unlocked": "Verrous de {name} levés ({clients}).",
        "accounts.done.not_locked": "{name} n'avait aucun verrou en cours.",
        "accounts.done.removed": "Compte {name} supprimé ; ses sessions sont fermées.",
        "accounts.error.invalid": "Le compte ne peut pas être modifié ainsi.",
        "accounts.error.unknown": "Aucun compte ne s'appelle {name}.",
        "accounts.error.name": "Le nom d'utilisateur doit compter de 1 à 128 caractères.",
        "accounts.error.role": "Ce rôle n'existe pas.",
        "accounts.error.password_short": "Mot de passe trop court : au moins {min} caractères.",
        "accounts.error.password_long": "Mot de passe trop long : au plus {max} caractères.",
        "accounts.error.password_mismatch": "Les deux mots de passe saisis diffèrent.",
        "accounts.error.exists": "Le nom {name} est déjà pris.",
        "accounts.error.self_remove": "Vous ne pouvez pas supprimer votre propre compte.",
        "accounts.error.self_demote": "Vous ne pouvez pas vous retirer le rôle d'administrateur.",
        "accounts.error.last_admin_remove": (
            "{name} est le dernier administrateur : son compte ne peut pas être supprimé."
        ),
        "accounts.error.last_admin_demote": (
            "{name} est le dernier administrateur : son rôle ne peut pas être changé."
        ),
    },
    "en": {
        "nav.accounts": "Accounts",
        "action.user_role_changed": "Role changed",
        "action.user_password_reset": "Password reset",
        "accounts.title": "Accounts",
        "accounts.intro": (
            "The accounts of the review UI. Dates are in Montreal time. "
            "A role or password change ends the account's open sessions."
        ),
        "accounts.list": "Existing accounts",
        "accounts.col.name": "Name",
        "accounts.col.role": "Role",
        "accounts.col.created": "Created",
        "accounts.col.last_login": "Last login",
        "accounts.col.state": "State",
        "accounts.col.actions": "Actions",
        "accounts.never": "never",
        "accounts.active": "active",
        "accounts.inactive": "inactive",
        "accounts.locked_from": "locked from {client} until {until}",
        "accounts.you": "(you)",
        "accounts.manage": "Manage",
        "accounts.add": "Add an account",
        "accounts.name": "User name",
        "accounts.role": "Role",
        "accounts.password": "Initial password",
        "accounts.new_password": "New password",
        "accounts.password_confirm": "Password, once more",
        "accounts.password_hint": "At least {min} characters. It is never shown again.",
        "accounts.add_submit": "Create the account",
        "accounts.change_role": "Change the role",
        "accounts.reset_password": "Reset the password",
        "accounts.reset_confirm": "Reset this account's password and end its sessions?",
        "accounts.unlock": "Unlock",
        "accounts.remove": "Remove…",
        "accounts.remove_title": "Remove the account {name}?",
        "accounts.remove_text": (
            "The account {name} ({role}) will be removed and its sessions ended. What it did stays "
            "in the audit trail, under its name."
        ),
        "accounts.remove_submit": "Remove for good",
        "accounts.cancel": "Cancel",
        "accounts.rules": (
            "You can neither remove your own account nor give up your admin role, "
            "and there is always at least one admin."
        ),
        "accounts.done.created": "Account {name} created ({role}).",
        "accounts.done.role": "Role of {name} changed: {role}. Their open sessions are ended.",
        "accounts.done.role_same": "{name} already had the role {role}: nothing changed.",
        "accounts.done.password": (
            "Password of {name} reset; their open sessions are ended and their lock-outs lifted."
        ),
        "accounts.done.unlocked": "Lock-outs of {name} lifted ({clients}).",
        "accounts.done.not_locked": "{name} had no lock-out in force.",
        "accounts.done.removed": "Account {name} removed; its sessions are ended.",
        "accounts.error.invalid": "The account cannot be changed that way.",
        "accounts.error.unknown": "No account is named {name}.",
        "accounts.error.name": "A user name is 1 to 128 characters long.",
        "accounts.error.role": "This role does not exist.",
        "accounts.error.password_short": "Password too short: at least {min} characters.",
        "accounts.error.password_long": "Password too long: at most {max} characters.",
        "accounts.error.password_mismatch": "The two passwords typed differ.",
        "accounts.error.exists": "The name {name} is taken.",
        "accounts.error.self_remove": "You cannot remove your own account.",
        "accounts.error.self_demote": "You cannot give up your own admin role.",
        "accounts.error.last_admin_remove": "{name} is the last admin: their account cannot be removed.",
        "accounts.error.last_admin_demote": "{name} is the last admin: their role cannot be changed.",
    },
}
