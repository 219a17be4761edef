// French (default) and English. Every visible string goes through t().

import type { Language, Status } from "./api.js";
import { zoneCity } from "./tz.js";
import * as labMsgs from "../features/lab/i18n.js";
import * as participantsMsgs from "../features/participants/i18n.js";
import * as settingsMsgs from "../features/settings/i18n.js";
import * as invitationsMsgs from "../features/invitations/i18n.js";
import * as syncMsgs from "../features/sync/i18n.js";
import * as socialMsgs from "../features/social/i18n.js";
import * as dashboardMsgs from "../features/dashboard/i18n.js";
import * as healthMsgs from "../features/server/i18n.js";
import * as errorMsgs from "./i18n-errors.js";
import * as participantEditMsgs from "../features/participants/i18n-edit.js";

const baseFr = {
  "app.name": "EventHub",
  "app.tagline": "Gestion d'événements",
  "nav.main": "Navigation principale",
  "nav.events": "Événements",
  "nav.participants": "Participants",
  "nav.dashboard": "Tableau de bord",
  "nav.indexlab": "Laboratoire d'index",
  "nav.advanced": "Avancé",
  "nav.soon": "bientôt",
  "adv.title": "Avancé",
  "adv.subtitle": "Outils pour l'équipe technique : rien ici n'est nécessaire pour organiser un événement.",
  "adv.openLab": "Ouvrir le laboratoire",
  "adv.labText": "Mesure l'effet des index MongoDB sur les requêtes de l'application, sur des données générées.",
  "adv.engine": "Moteur de base de données",
  "adv.json": "Champs personnalisés en JSON",
  "adv.jsonText": "Les champs personnalisés d'un événement sont enregistrés tels quels dans son document.",
  "adv.jsonWhere": "Leur aperçu JSON est replié en bas de l'onglet « Champs personnalisés » de l'éditeur.",
  "server.technical": "Détails techniques",
  "top.search": "Rechercher un événement, un intervenant, un lieu…",
  "top.searchLabel": "Rechercher",
  "top.language": "Langue",
  "lang.fr": "FR",
  "lang.en": "EN",
  "lang.frLong": "Français",
  "lang.enLong": "English",
  "current.label": "Événement",
  "current.none": "Aucun événement choisi",
  "current.upcoming": "À venir",
  "current.past": "Passés",

  "common.cancel": "Annuler",
  "common.close": "Fermer",
  "common.confirm": "Confirmer",
  "common.delete": "Supprimer",
  "common.remove": "Retirer",
  "common.save": "Enregistrer",
  "common.saving": "Enregistrement…",
  "common.reload": "Recharger",
  "common.retry": "Réessayer",
  "common.yes": "Oui",
  "common.no": "Non",
  "common.none": "—",
  "common.optional": "facultatif",
  "common.loading": "Chargement…",
  "common.back": "Retour aux événements",
  "common.dismiss": "Masquer",

  "status.draft": "Brouillon",
  "status.published": "Publié",
  "status.cancelled": "Annulé",
  "status.archived": "Archivé",
  "status.all": "Tous",

  "splash.connecting": "Démarrage de la base locale…",
  "splash.connectingRemote": "Connexion au serveur…",
  "splash.hint": "Cela prend quelques secondes au premier lancement.",

  "setup.title": "Connecter une base de données",
  "setup.intro": "EventHub enregistre vos événements dans MongoDB. Aucune base n'a pu être démarrée sur cet ordinateur.",
  "setup.missingTitle": "Moteur local introuvable",
  "setup.unavailableTitle": "Base de données injoignable",
  "setup.backendSays": "Détail",
  "setup.installTitle": "Option 1 — installer un moteur local",
  "setup.installText": "Installez MongoDB Community Server (mongod) ou SecantusDB, assurez-vous que l'exécutable est dans le PATH, puis relancez la base locale.",
  "setup.retryLocal": "Réessayer la base locale",
  "setup.remoteTitle": "Option 2 — se connecter à MongoDB Atlas ou à un serveur",
  "setup.remoteText": "Collez l'URI de connexion fournie par Atlas ou votre administrateur.",
  "setup.uri": "URI de connexion",
  "setup.uriPlaceholder": "mongodb+srv://utilisateur:motdepasse@cluster.mongodb.net/eventhub",
  "setup.showUri": "Afficher l'URI",
  "setup.hideUri": "Masquer l'URI",
  "setup.remember": "Mémoriser cette connexion sur cet ordinateur",
  "setup.connect": "Se connecter",
  "setup.connecting": "Connexion…",
  "setup.savedUri": "Connexion mémorisée : {uri}",
  "setup.uriRequired": "Saisissez une URI qui commence par mongodb:// ou mongodb+srv://",
  "setup.noTauri": "Cette interface doit être ouverte dans l'application EventHub.",

  "server.badge": "Serveur de base de données",
  "server.connecting": "Connexion…",
  "server.failed": "Hors ligne",
  "server.title": "Serveur",
  "server.uri": "URI",
  "server.database": "Base",
  "server.engine": "Moteur",
  "server.replicaSet": "Replica set",
  "server.noReplicaSet": "aucun (serveur autonome)",
  "server.source": "Origine",
  "server.source.local": "local",
  "server.words.local": "Données sur cet ordinateur",
  "server.words.remote": "Connecté au serveur partagé",
  "server.source.settings": "URI mémorisée",
  "server.source.env": "variable d'environnement",
  "server.localEngine": "Moteur local",
  "server.dataDir": "Données",
  "server.capabilities": "Fonctionnalités",
  "server.cap.text_search": "Recherche plein texte ($text)",
  "server.cap.hashed_index": "Index hachés",
  "server.cap.change_streams": "Change streams",
  "server.cap.transactions": "Transactions",
  "server.missing": "Fonctionnalités absentes : {list}",
  "server.searchText": "La recherche utilise l'index $text de MongoDB.",
  "server.searchTerms": "Ce serveur n'offre pas $text : la recherche utilise un index de préfixes de mots, insensible aux accents et à la casse.",
  "server.switchRemote": "Se connecter à un autre serveur…",
  "server.useLocal": "Utiliser la base locale",
  "server.available": "disponible",
  "server.unavailable": "absent",

  "list.title": "Événements",
  "list.subtitle": "{n} événement|{n} événements",
  "list.subtitleCapped": "Plus de {n} événements",
  "list.subtitleCounting": "Plus de {n} événements, comptage…",
  "list.new": "Nouvel événement",
  "list.filters": "Filtres",
  "list.status": "Statut",
  "list.tag": "Tag",
  "list.allTags": "Tous les tags",
  "list.venue": "Lieu",
  "list.venuePlaceholder": "Nom du lieu",
  "list.from": "Du",
  "list.to": "Au",
  "list.sort": "Trier par",
  "list.sort.starts_at": "Date (plus proche)",
  "list.sort.starts_at_desc": "Date (plus lointaine)",
  "list.sort.title": "Titre (A→Z)",
  "list.sort.updated_at": "Dernière modification",
  "list.reset": "Effacer les filtres",
  "list.when": "Période",
  "list.when.upcoming": "À venir",
  "list.when.past": "Passés",
  "list.when.all": "Tous",
  "list.when.showAll": "Voir tous les événements",
  "list.when.noneUpcoming": "Aucun événement à venir",
  "list.when.nonePast": "Aucun événement passé",
  "list.col.event": "Événement",
  "list.col.dates": "Dates",
  "list.col.venue": "Lieu",
  "list.col.status": "Statut",
  "list.col.content": "Contenu",
  "list.col.actions": "Actions",
  "list.speakers": "{n} interv.",
  "list.sessions": "{n} session|{n} sessions",
  "list.open": "Ouvrir",
  "list.duplicate": "Dupliquer",
  "list.delete": "Supprimer",
  "list.range": "{from}–{to} sur {total}",
  "list.rangeOpen": "{from}–{to} sur plus de {to}",
  "list.prev": "Page précédente",
  "list.next": "Page suivante",
  "list.emptyTitle": "Aucun événement pour l'instant",
  "list.emptyText": "Créez votre premier événement, ou chargez un jeu de données de démonstration pour découvrir EventHub.",
  "list.seed": "Charger les données de démonstration",
  "list.seeded": "{n} événement de démonstration créé|{n} événements de démonstration créés",
  "list.noResults": "Aucun événement ne correspond à votre recherche",
  "list.noResultsText": "Essayez d'autres mots ou effacez les filtres.",
  "list.searchMode.text": "Recherche plein texte ($text)",
  "list.searchMode.terms": "Recherche par préfixes de mots, sans accents",
  "list.duplicated": "Copie créée : « {title} »",
  "list.deleteTitle": "Supprimer l'événement ?",
  "list.deleteText": "« {title} » sera supprimé avec ses intervenants, son programme et ses plans de salle.",
  "list.deleted": "Événement supprimé",
  "list.changedMeanwhile": "Cet événement a été modifié entre-temps ; la liste a été actualisée.",
  "list.countsLabel": "Répartition par statut",
  "list.noVenue": "Lieu à définir",

  "editor.newTitle": "Nouvel événement",
  "editor.untitled": "Sans titre",
  "editor.tabs": "Sections de l'événement",
  "editor.tab.general": "Général",
  "editor.tab.speakers": "Intervenants",
  "editor.tab.sessions": "Programme",
  "editor.tab.seating": "Plan de salle",
  "editor.tab.custom": "Champs personnalisés",
  "editor.version": "Version {v} · modifié par {who} le {when}",
  "editor.someone": "inconnu",
  "editor.notSaved": "Pas encore enregistré",
  "editor.unsaved": "Non enregistré",
  "editor.saved": "Événement enregistré",
  "editor.created": "Événement créé",
  "editor.saveError": "Impossible d'enregistrer",
  "editor.fixField": "{field} : {message}",
  "editor.conflictTitle": "Quelqu'un d'autre a modifié cet événement.",
  "editor.conflictText": "Votre version n'est plus la dernière. Rechargez pour voir ses changements (vos modifications non enregistrées seront perdues).",
  "editor.notFound": "Cet événement n'existe plus.",
  "editor.leaveTitle": "Quitter sans enregistrer ?",
  "editor.leaveText": "Vos modifications non enregistrées seront perdues.",
  "editor.leave": "Quitter",
  "editor.statusLabel": "Statut",
  "editor.shortcut": "Ctrl+S pour enregistrer",
  "editor.close": "Fermer",

  "general.identity": "Informations",
  "general.title": "Titre",
  "general.titlePlaceholder": "Ex. : Forum des métiers du numérique",
  "general.description": "Description",
  "general.descriptionPlaceholder": "Présentez l'événement en quelques lignes…",
  "general.when": "Dates",
  "general.starts": "Début",
  "general.ends": "Fin",
  "general.timezone": "Fuseau horaire",
  "general.tzHint": "Heures saisies à l'heure de {city} ({offset}).",
  "general.duration": "Durée : {d}",
  "general.where": "Lieu",
  "general.venueName": "Nom du lieu",
  "general.venueNamePlaceholder": "Ex. : Palais des congrès",
  "general.venueAddress": "Adresse",
  "general.venueAddressPlaceholder": "Rue, code postal, ville",
  "general.lat": "Latitude",
  "general.lng": "Longitude",
  "general.geoHint": "Facultatif : coordonnées GPS pour la carte et la recherche par proximité.",
  "general.geoBoth": "Renseignez la latitude et la longitude, ou aucune des deux.",
  "general.audience": "Public",
  "general.capacity": "Capacité totale",
  "general.capacityHint": "Laissez vide pour une capacité illimitée.",
  "general.tags": "Tags",
  "general.tagsPlaceholder": "Ajouter un tag puis Entrée",
  "general.removeTag": "Retirer le tag {tag}",
  "general.invalidDate": "Date ou heure invalide",
  "date.atZone": "{date} à {time} (heure de {city})",
  "date.words": "Date en toutes lettres",
  "general.endBeforeStart": "La fin doit être après le début",

  "speakers.title": "Intervenants",
  "speakers.count": "{n} intervenant|{n} intervenants",
  "speakers.add": "Ajouter un intervenant",
  "speakers.empty": "Aucun intervenant pour l'instant.",
  "speakers.name": "Nom",
  "speakers.jobTitle": "Fonction / organisation",
  "speakers.bio": "Biographie",
  "speakers.links": "Liens (un par ligne)",
  "speakers.photo": "URL de la photo",
  "speakers.remove": "Retirer l'intervenant",
  "speakers.removeTitle": "Retirer cet intervenant ?",
  "speakers.removeText": "« {name} » sera aussi retiré des sessions où il intervient.",
  "speakers.newName": "Nouvel intervenant",
  "speakers.inSessions": "{n} session|{n} sessions",

  "sessions.title": "Programme",
  "sessions.count": "{n} session|{n} sessions",
  "sessions.add": "Ajouter une session",
  "sessions.empty": "Aucune session au programme.",
  "sessions.agenda": "Agenda",
  "sessions.sessionTitle": "Titre de la session",
  "sessions.abstract": "Résumé",
  "sessions.starts": "Début",
  "sessions.ends": "Fin",
  "sessions.room": "Salle",
  "sessions.capacity": "Places",
  "sessions.speakers": "Intervenants",
  "sessions.noSpeakers": "Ajoutez d'abord des intervenants dans l'onglet Intervenants.",
  "sessions.remove": "Retirer la session",
  "sessions.newTitle": "Nouvelle session",
  "sessions.withinHint": "Entre le {from} et le {to}",
  "sessions.untitled": "Session sans titre",
  "sessions.outside": "hors des dates de l'événement",
  "sessions.overlap": "chevauche une autre session dans la même salle",

  "seating.title": "Plans de salle",
  "seating.add": "Ajouter un plan",
  "seating.empty": "Aucun plan de salle. Ajoutez-en un pour placer les participants.",
  "seating.room": "Salle",
  "seating.roomPlaceholder": "Ex. : Auditorium",
  "seating.kind": "Disposition",
  "seating.kind.grid": "Rangées (théâtre)",
  "seating.kind.tables": "Tables (banquet)",
  "seating.rows": "Rangées",
  "seating.seatsPerRow": "Sièges par rangée",
  "seating.tables": "Tables",
  "seating.seatsPerTable": "Sièges par table",
  "seating.stage": "Scène",
  "seating.capacity": "Capacité : {n} place|Capacité : {n} places",
  "seating.stats": "{total} sièges · bloqués : {blocked}",
  "seating.help": "Cliquez sur un siège pour le bloquer ou le débloquer (pilier, régie, accès PMR…). Flèches pour se déplacer.",
  "seating.seat": "Siège {label}",
  "seating.seatBlocked": "Siège {label}, bloqué",
  "seating.row": "Rangée {label} : tout basculer",
  "seating.table": "Table {n}",
  "seating.unblockAll": "Tout débloquer",
  "seating.remove": "Supprimer le plan",
  "seating.outOfRange": "Saisissez une valeur entre {min} et {max}.",
  "seating.legendFree": "Libre",
  "seating.legendBlocked": "Bloqué",

  "custom.title": "Champs personnalisés",
  "custom.intro": "Ajoutez les informations propres à votre événement : elles sont enregistrées telles quelles dans le document MongoDB, sans schéma à modifier.",
  "custom.add": "Ajouter un champ",
  "custom.empty": "Aucun champ personnalisé.",
  "custom.key": "Nom du champ",
  "custom.keyPlaceholder": "ex. budget",
  "custom.type": "Type",
  "custom.value": "Valeur",
  "custom.type.text": "Texte",
  "custom.type.number": "Nombre",
  "custom.type.bool": "Oui / non",
  "custom.type.list": "Liste",
  "custom.listPlaceholder": "valeurs séparées par des virgules",
  "custom.remove": "Retirer le champ",
  "custom.preview": "Aperçu du sous-document « custom »",
  "custom.keyRequired": "Donnez un nom à ce champ",
  "custom.keyDuplicate": "Ce nom est déjà utilisé",
  "custom.notNumber": "Saisissez un nombre",

  "field.title": "Titre",
  "field.description": "Description",
  "field.starts_at": "Début",
  "field.ends_at": "Fin",
  "field.timezone": "Fuseau horaire",
  "field.venue": "Lieu",
  "field.status": "Statut",
  "field.tags": "Tags",
  "field.capacity": "Capacité",
  "field.speakers": "Intervenant",
  "field.sessions": "Session",
  "field.seating": "Plan de salle",
  "field.custom": "Champ personnalisé",

  "error.generic": "Une erreur est survenue",
  "error.db_unavailable": "La base de données est injoignable.",
  "error.not_found": "Élément introuvable.",
  "error.duplicate": "Cet élément existe déjà.",
  "error.unsupported": "Opération non prise en charge par ce serveur.",
  "error.internal": "Erreur interne.",

  "duration.days": "{n} j",
  "duration.hours": "{n} h",
  "duration.minutes": "{n} min",
};

// Each feature's strings live in i18n/<feature>.ts and are merged here.
const fr = { ...baseFr, ...participantsMsgs.fr, ...labMsgs.fr, ...settingsMsgs.fr, ...invitationsMsgs.fr, ...dashboardMsgs.fr, ...syncMsgs.fr, ...socialMsgs.fr, ...errorMsgs.fr, ...participantEditMsgs.fr, ...healthMsgs.fr };

export type MsgKey = keyof typeof fr;

const baseEn: Record<keyof typeof baseFr, string> = {
  "app.name": "EventHub",
  "app.tagline": "Event management",
  "nav.main": "Main navigation",
  "nav.events": "Events",
  "nav.participants": "Participants",
  "nav.dashboard": "Dashboard",
  "nav.indexlab": "Index lab",
  "nav.advanced": "Advanced",
  "nav.soon": "soon",
  "adv.title": "Advanced",
  "adv.subtitle": "Tools for the technical team: nothing here is needed to run an event.",
  "adv.openLab": "Open the lab",
  "adv.labText": "Measures how MongoDB indexes affect the app's queries, on generated data.",
  "adv.engine": "Database engine",
  "adv.json": "Custom fields as JSON",
  "adv.jsonText": "An event's custom fields are stored as they are in its document.",
  "adv.jsonWhere": "Their JSON preview is folded at the bottom of the editor's “Custom fields” tab.",
  "server.technical": "Technical details",
  "top.search": "Search events, speakers, venues…",
  "top.searchLabel": "Search",
  "top.language": "Language",
  "lang.fr": "FR",
  "lang.en": "EN",
  "lang.frLong": "Français",
  "lang.enLong": "English",
  "current.label": "Event",
  "current.none": "No event chosen",
  "current.upcoming": "Upcoming",
  "current.past": "Past",

  "common.cancel": "Cancel",
  "common.close": "Close",
  "common.confirm": "Confirm",
  "common.delete": "Delete",
  "common.remove": "Remove",
  "common.save": "Save",
  "common.saving": "Saving…",
  "common.reload": "Reload",
  "common.retry": "Retry",
  "common.yes": "Yes",
  "common.no": "No",
  "common.none": "—",
  "common.optional": "optional",
  "common.loading": "Loading…",
  "common.back": "Back to events",
  "common.dismiss": "Dismiss",

  "status.draft": "Draft",
  "status.published": "Published",
  "status.cancelled": "Cancelled",
  "status.archived": "Archived",
  "status.all": "All",

  "splash.connecting": "Starting the local database…",
  "splash.connectingRemote": "Connecting to the server…",
  "splash.hint": "This takes a few seconds on first launch.",

  "setup.title": "Connect a database",
  "setup.intro": "EventHub stores your events in MongoDB. No database could be started on this computer.",
  "setup.missingTitle": "Local engine not found",
  "setup.unavailableTitle": "Database unreachable",
  "setup.backendSays": "Details",
  "setup.installTitle": "Option 1 — install a local engine",
  "setup.installText": "Install MongoDB Community Server (mongod) or SecantusDB, make sure the executable is on the PATH, then retry the local database.",
  "setup.retryLocal": "Retry the local database",
  "setup.remoteTitle": "Option 2 — connect to MongoDB Atlas or a server",
  "setup.remoteText": "Paste the connection URI given by Atlas or your administrator.",
  "setup.uri": "Connection URI",
  "setup.uriPlaceholder": "mongodb+srv://user:password@cluster.mongodb.net/eventhub",
  "setup.showUri": "Show URI",
  "setup.hideUri": "Hide URI",
  "setup.remember": "Remember this connection on this computer",
  "setup.connect": "Connect",
  "setup.connecting": "Connecting…",
  "setup.savedUri": "Saved connection: {uri}",
  "setup.uriRequired": "Enter a URI starting with mongodb:// or mongodb+srv://",
  "setup.noTauri": "This interface must be opened inside the EventHub app.",

  "server.badge": "Database server",
  "server.connecting": "Connecting…",
  "server.failed": "Offline",
  "server.title": "Server",
  "server.uri": "URI",
  "server.database": "Database",
  "server.engine": "Engine",
  "server.replicaSet": "Replica set",
  "server.noReplicaSet": "none (standalone)",
  "server.source": "Source",
  "server.source.local": "local",
  "server.words.local": "Data on this computer",
  "server.words.remote": "Connected to the shared server",
  "server.source.settings": "saved URI",
  "server.source.env": "environment variable",
  "server.localEngine": "Local engine",
  "server.dataDir": "Data",
  "server.capabilities": "Capabilities",
  "server.cap.text_search": "Full-text search ($text)",
  "server.cap.hashed_index": "Hashed indexes",
  "server.cap.change_streams": "Change streams",
  "server.cap.transactions": "Transactions",
  "server.missing": "Missing features: {list}",
  "server.searchText": "Search uses MongoDB's $text index.",
  "server.searchTerms": "This server has no $text: search uses an indexed word-prefix index, accent- and case-insensitive.",
  "server.switchRemote": "Connect to another server…",
  "server.useLocal": "Use the local database",
  "server.available": "available",
  "server.unavailable": "missing",

  "list.title": "Events",
  "list.subtitle": "{n} event|{n} events",
  "list.subtitleCapped": "More than {n} events",
  "list.subtitleCounting": "More than {n} events, counting…",
  "list.new": "New event",
  "list.filters": "Filters",
  "list.status": "Status",
  "list.tag": "Tag",
  "list.allTags": "All tags",
  "list.venue": "Venue",
  "list.venuePlaceholder": "Venue name",
  "list.from": "From",
  "list.to": "To",
  "list.sort": "Sort by",
  "list.sort.starts_at": "Date (soonest)",
  "list.sort.starts_at_desc": "Date (latest)",
  "list.sort.title": "Title (A→Z)",
  "list.sort.updated_at": "Last modified",
  "list.reset": "Clear filters",
  "list.when": "Period",
  "list.when.upcoming": "Upcoming",
  "list.when.past": "Past",
  "list.when.all": "All",
  "list.when.showAll": "Show all events",
  "list.when.noneUpcoming": "No upcoming events",
  "list.when.nonePast": "No past events",
  "list.col.event": "Event",
  "list.col.dates": "Dates",
  "list.col.venue": "Venue",
  "list.col.status": "Status",
  "list.col.content": "Content",
  "list.col.actions": "Actions",
  "list.speakers": "{n} speaker|{n} speakers",
  "list.sessions": "{n} session|{n} sessions",
  "list.open": "Open",
  "list.duplicate": "Duplicate",
  "list.delete": "Delete",
  "list.range": "{from}–{to} of {total}",
  "list.rangeOpen": "{from}–{to} of more than {to}",
  "list.prev": "Previous page",
  "list.next": "Next page",
  "list.emptyTitle": "No events yet",
  "list.emptyText": "Create your first event, or load a demo data set to discover EventHub.",
  "list.seed": "Load demo data",
  "list.seeded": "{n} demo event created|{n} demo events created",
  "list.noResults": "No events match your search",
  "list.noResultsText": "Try other words or clear the filters.",
  "list.searchMode.text": "Full-text search ($text)",
  "list.searchMode.terms": "Word-prefix search, accent-insensitive",
  "list.duplicated": "Copy created: “{title}”",
  "list.deleteTitle": "Delete this event?",
  "list.deleteText": "“{title}” will be deleted with its speakers, programme and seating plans.",
  "list.deleted": "Event deleted",
  "list.changedMeanwhile": "This event was changed in the meantime; the list has been refreshed.",
  "list.countsLabel": "Events by status",
  "list.noVenue": "Venue to be defined",

  "editor.newTitle": "New event",
  "editor.untitled": "Untitled",
  "editor.tabs": "Event sections",
  "editor.tab.general": "General",
  "editor.tab.speakers": "Speakers",
  "editor.tab.sessions": "Programme",
  "editor.tab.seating": "Seating",
  "editor.tab.custom": "Custom fields",
  "editor.version": "Version {v} · changed by {who} on {when}",
  "editor.someone": "unknown",
  "editor.notSaved": "Not saved yet",
  "editor.unsaved": "Unsaved",
  "editor.saved": "Event saved",
  "editor.created": "Event created",
  "editor.saveError": "Could not save",
  "editor.fixField": "{field}: {message}",
  "editor.conflictTitle": "Someone else changed this event.",
  "editor.conflictText": "Your copy is no longer the latest. Reload to see their changes (your unsaved changes will be lost).",
  "editor.notFound": "This event no longer exists.",
  "editor.leaveTitle": "Leave without saving?",
  "editor.leaveText": "Your unsaved changes will be lost.",
  "editor.leave": "Leave",
  "editor.statusLabel": "Status",
  "editor.shortcut": "Ctrl+S to save",
  "editor.close": "Close",

  "general.identity": "Details",
  "general.title": "Title",
  "general.titlePlaceholder": "e.g. Digital Careers Forum",
  "general.description": "Description",
  "general.descriptionPlaceholder": "Describe the event in a few lines…",
  "general.when": "Dates",
  "general.starts": "Start",
  "general.ends": "End",
  "general.timezone": "Time zone",
  "general.tzHint": "Times are entered in {city} time ({offset}).",
  "general.duration": "Duration: {d}",
  "general.where": "Venue",
  "general.venueName": "Venue name",
  "general.venueNamePlaceholder": "e.g. Convention centre",
  "general.venueAddress": "Address",
  "general.venueAddressPlaceholder": "Street, postcode, city",
  "general.lat": "Latitude",
  "general.lng": "Longitude",
  "general.geoHint": "Optional: GPS coordinates for the map and proximity search.",
  "general.geoBoth": "Enter both latitude and longitude, or neither.",
  "general.audience": "Audience",
  "general.capacity": "Total capacity",
  "general.capacityHint": "Leave empty for unlimited capacity.",
  "general.tags": "Tags",
  "general.tagsPlaceholder": "Add a tag and press Enter",
  "general.removeTag": "Remove tag {tag}",
  "general.invalidDate": "Invalid date or time",
  "date.atZone": "{date} at {time} ({city} time)",
  "date.words": "Date in words",
  "general.endBeforeStart": "The end must be after the start",

  "speakers.title": "Speakers",
  "speakers.count": "{n} speaker|{n} speakers",
  "speakers.add": "Add a speaker",
  "speakers.empty": "No speakers yet.",
  "speakers.name": "Name",
  "speakers.jobTitle": "Title / organisation",
  "speakers.bio": "Biography",
  "speakers.links": "Links (one per line)",
  "speakers.photo": "Photo URL",
  "speakers.remove": "Remove speaker",
  "speakers.removeTitle": "Remove this speaker?",
  "speakers.removeText": "“{name}” will also be removed from the sessions they speak at.",
  "speakers.newName": "New speaker",
  "speakers.inSessions": "{n} session|{n} sessions",

  "sessions.title": "Programme",
  "sessions.count": "{n} session|{n} sessions",
  "sessions.add": "Add a session",
  "sessions.empty": "No sessions in the programme.",
  "sessions.agenda": "Agenda",
  "sessions.sessionTitle": "Session title",
  "sessions.abstract": "Abstract",
  "sessions.starts": "Start",
  "sessions.ends": "End",
  "sessions.room": "Room",
  "sessions.capacity": "Seats",
  "sessions.speakers": "Speakers",
  "sessions.noSpeakers": "Add speakers in the Speakers tab first.",
  "sessions.remove": "Remove session",
  "sessions.newTitle": "New session",
  "sessions.withinHint": "Between {from} and {to}",
  "sessions.untitled": "Untitled session",
  "sessions.outside": "outside the event's dates",
  "sessions.overlap": "overlaps another session in the same room",

  "seating.title": "Seating plans",
  "seating.add": "Add a plan",
  "seating.empty": "No seating plan. Add one to seat attendees.",
  "seating.room": "Room",
  "seating.roomPlaceholder": "e.g. Auditorium",
  "seating.kind": "Layout",
  "seating.kind.grid": "Rows (theatre)",
  "seating.kind.tables": "Tables (banquet)",
  "seating.rows": "Rows",
  "seating.seatsPerRow": "Seats per row",
  "seating.tables": "Tables",
  "seating.seatsPerTable": "Seats per table",
  "seating.stage": "Stage",
  "seating.capacity": "Capacity: {n} seat|Capacity: {n} seats",
  "seating.stats": "{total} seats · {blocked} blocked",
  "seating.help": "Click a seat to block or unblock it (pillar, control desk, wheelchair space…). Arrow keys move between seats.",
  "seating.seat": "Seat {label}",
  "seating.seatBlocked": "Seat {label}, blocked",
  "seating.row": "Row {label}: toggle all",
  "seating.table": "Table {n}",
  "seating.unblockAll": "Unblock all",
  "seating.remove": "Delete plan",
  "seating.outOfRange": "Enter a value between {min} and {max}.",
  "seating.legendFree": "Free",
  "seating.legendBlocked": "Blocked",

  "custom.title": "Custom fields",
  "custom.intro": "Add information specific to your event: it is stored as is in the MongoDB document, with no schema to change.",
  "custom.add": "Add a field",
  "custom.empty": "No custom fields.",
  "custom.key": "Field name",
  "custom.keyPlaceholder": "e.g. budget",
  "custom.type": "Type",
  "custom.value": "Value",
  "custom.type.text": "Text",
  "custom.type.number": "Number",
  "custom.type.bool": "Yes / no",
  "custom.type.list": "List",
  "custom.listPlaceholder": "comma-separated values",
  "custom.remove": "Remove field",
  "custom.preview": "Preview of the “custom” sub-document",
  "custom.keyRequired": "Give this field a name",
  "custom.keyDuplicate": "This name is already used",
  "custom.notNumber": "Enter a number",

  "field.title": "Title",
  "field.description": "Description",
  "field.starts_at": "Start",
  "field.ends_at": "End",
  "field.timezone": "Time zone",
  "field.venue": "Venue",
  "field.status": "Status",
  "field.tags": "Tags",
  "field.capacity": "Capacity",
  "field.speakers": "Speaker",
  "field.sessions": "Session",
  "field.seating": "Seating plan",
  "field.custom": "Custom field",

  "error.generic": "Something went wrong",
  "error.db_unavailable": "The database is unreachable.",
  "error.not_found": "Not found.",
  "error.duplicate": "This already exists.",
  "error.unsupported": "This server does not support this operation.",
  "error.internal": "Internal error.",

  "duration.days": "{n} d",
  "duration.hours": "{n} h",
  "duration.minutes": "{n} min",
};

const en: Record<MsgKey, string> = { ...baseEn, ...participantsMsgs.en, ...labMsgs.en, ...settingsMsgs.en, ...invitationsMsgs.en, ...dashboardMsgs.en, ...syncMsgs.en, ...socialMsgs.en, ...errorMsgs.en, ...participantEditMsgs.en, ...healthMsgs.en };

const dicts: Record<Language, Record<MsgKey, string>> = { fr, en };

let lang: Language = "fr";
const listeners: Array<() => void> = [];

export function getLang(): Language {
  return lang;
}

export function locale(): string {
  return lang === "fr" ? "fr-FR" : "en-GB";
}

export function setLang(l: Language): void {
  if (l === lang) return;
  lang = l;
  document.documentElement.lang = l;
  for (const f of listeners) f();
}

export function onLangChange(f: () => void): void {
  listeners.push(f);
}

export function t(key: MsgKey, params?: Record<string, string | number>): string {
  let s = dicts[lang][key] ?? fr[key] ?? key;
  // "one|other" plural forms, chosen by the `n` parameter.
  if (s.includes("|") && typeof params?.n === "number") {
    const [one, other] = s.split("|");
    s = new Intl.PluralRules(locale()).select(params.n) === "one" ? one : other;
  }
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      s = s.split(`{${k}}`).join(typeof v === "number" ? formatNumber(v) : v);
    }
  }
  return s;
}

export function statusLabel(s: Status): string {
  return t(`status.${s}` as MsgKey);
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(locale()).format(n);
}

/** `n` with exactly `digits` decimals in the interface's language ("4,20" in French). */
export function formatDecimal(n: number, digits = 2): string {
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

// ---- dates, always shown in the event's own time zone -----------------------------------

const fmtCache = new Map<string, Intl.DateTimeFormat>();

function fmt(tz: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale()}|${tz}|${JSON.stringify(opts)}`;
  let f = fmtCache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(locale(), { ...opts, timeZone: tz });
    } catch {
      f = new Intl.DateTimeFormat(locale(), { ...opts, timeZone: "UTC" });
    }
    fmtCache.set(key, f);
  }
  return f;
}

const D_FULL: Intl.DateTimeFormatOptions = { weekday: "short", day: "numeric", month: "short", year: "numeric" };
const D_SHORT: Intl.DateTimeFormatOptions = { day: "numeric", month: "short" };
const D_RANGE: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", year: "numeric" };
const D_DAY: Intl.DateTimeFormatOptions = { weekday: "long", day: "numeric", month: "long" };
const TIME: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit" };
const DATE_TIME: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };

export function formatDate(iso: string, tz: string): string {
  return fmt(tz, D_FULL).format(new Date(iso));
}
export function formatShortDate(iso: string, tz: string): string {
  return fmt(tz, D_SHORT).format(new Date(iso));
}
export function formatDayHeading(iso: string, tz: string): string {
  const s = fmt(tz, D_DAY).format(new Date(iso));
  return s.charAt(0).toUpperCase() + s.slice(1);
}
export function formatTime(iso: string, tz: string): string {
  return fmt(tz, TIME).format(new Date(iso));
}
export function formatDateTime(iso: string, tz: string): string {
  return fmt(tz, DATE_TIME).format(new Date(iso));
}

const D_WORDS: Intl.DateTimeFormatOptions = { weekday: "long", day: "numeric", month: "long", year: "numeric" };

/**
 * An instant written out in words in the interface's language and the given zone, with the
 * zone's name: "lundi 21 décembre 2026 à 09:00 (heure de Paris)". Shown beside every date
 * input, whose own display follows the system's locale rather than the app's language.
 */
export function formatDateWords(iso: string, tz: string): string {
  if (Number.isNaN(Date.parse(iso))) return "";
  return t("date.atZone", { date: fmt(tz, D_WORDS).format(new Date(iso)), time: formatTime(iso, tz), city: zoneCity(tz) });
}

/** A calendar day ("2026-12-21", a date input's value) in words: "lundi 21 décembre 2026". */
export function formatDayWords(day: string): string {
  const ms = Date.parse(`${day}T12:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(ms)) return "";
  return fmt("UTC", D_WORDS).format(new Date(ms));
}

/** A time-axis label in the event's zone: the day ("21 déc."), or the day and the hour, or the hour. */
export function formatAxis(iso: string, tz: string, unit: "day" | "hour" | "minute"): string {
  if (unit === "day") return fmt(tz, D_SHORT).format(new Date(iso));
  if (unit === "hour") return `${fmt(tz, D_SHORT).format(new Date(iso))} ${formatTime(iso, tz)}`;
  return formatTime(iso, tz);
}

type RangeFormat = Intl.DateTimeFormat & { formatRange?: (a: Date, b: Date) => string };

/** Two lines for the list: the day(s), then the hours and the zone's city. */
export function formatRange(startIso: string, endIso: string, tz: string): { days: string; hours: string } {
  const a = new Date(startIso);
  const b = new Date(endIso);
  const sameDay = fmt(tz, D_FULL).format(a) === fmt(tz, D_FULL).format(b);
  const hours = `${formatTime(startIso, tz)} – ${formatTime(endIso, tz)} · ${zoneCity(tz)}`;
  if (sameDay) return { days: formatDate(startIso, tz), hours };
  const f = fmt(tz, D_RANGE) as RangeFormat;
  const days = typeof f.formatRange === "function" ? f.formatRange(a, b) : `${formatShortDate(startIso, tz)} → ${f.format(b)}`;
  return { days, hours };
}

export function formatDuration(ms: number): string {
  if (!(ms > 0)) return t("common.none");
  const mins = Math.round(ms / 60000);
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  const parts: string[] = [];
  if (d) parts.push(t("duration.days", { n: d }));
  if (h) parts.push(t("duration.hours", { n: h }));
  if (m) parts.push(t("duration.minutes", { n: m }));
  return parts.join(" ");
}
