// In-memory stand-in for the Tauri backend, to open the UI in a plain browser.
// Not copied to dist/. Load it before main.js (dev/shot.mjs injects it as an init script).
// URL parameters: ?scenario=missing|unavailable|connecting|remote  &empty=1  &lang=en
(function () {
  const params = new URLSearchParams(location.search);
  const scenario = params.get("scenario") || "ready";
  const listeners = {};
  const settings = { language: params.get("lang") === "en" ? "en" : "fr", saved_uri: scenario === "remote" ? "mongodb+srv://eventhub:***@cluster0.ab12c.mongodb.net/eventhub" : null };

  const localServer = {
    uri: "mongodb://127.0.0.1:27817/?directConnection=true",
    database: "eventhub",
    engine: "SecantusDB",
    version: "0.5.3",
    replica_set: null,
    capabilities: { text_search: false, hashed_index: false, change_streams: true, transactions: false },
    missing: ["$text", "hashed indexes"],
  };
  const remoteServer = {
    uri: "mongodb+srv://eventhub:***@cluster0.ab12c.mongodb.net/eventhub",
    database: "eventhub",
    engine: "MongoDB",
    version: "7.0.12",
    replica_set: "atlas-xyz-shard-0",
    capabilities: { text_search: true, hashed_index: true, change_streams: true, transactions: true },
    missing: [],
  };
  const engine = { kind: "secantus", path: "/usr/local/bin/secantus", data_dir: "/home/claire/.local/share/eventhub/db", started_here: true };

  let status;
  if (scenario === "missing") {
    status = { state: "failed", source: "local", server: null, engine: null, error: { code: "engine_missing", message: "no local database engine found: looked for `mongod` and `secantus` on PATH and in /usr/bin, /usr/local/bin, ~/.local/bin" } };
  } else if (scenario === "unavailable") {
    status = { state: "failed", source: "settings", server: null, engine: null, error: { code: "db_unavailable", message: "server selection timed out after 10 s (cluster0.ab12c.mongodb.net)" } };
  } else if (scenario === "connecting") {
    status = { state: "connecting", source: "local", server: null, engine: null, error: null };
  } else if (scenario === "remote") {
    status = { state: "ready", source: "settings", server: remoteServer, engine: null, error: null };
  } else {
    status = { state: "ready", source: "local", server: localServer, engine, error: null };
  }

  function emit(name, payload) {
    for (const f of listeners[name] || []) f({ event: name, id: 0, payload });
  }
  function setStatus(s) {
    status = s;
    emit("db://status", s);
  }
  function err(code, message, field) {
    const e = { code, message };
    if (field) e.field = field;
    return e;
  }

  // ---- data ----------------------------------------------------------------------------------
  const fold = (s) => String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  let counter = 0;
  const newId = () => "0190" + (Date.now().toString(16) + (++counter).toString(16)).padStart(20, "0").slice(-20);
  const iso = (s) => new Date(s).toISOString();
  const events = new Map();

  function store(input, who) {
    const now = new Date().toISOString();
    const id = newId();
    const doc = { ...clone(input), _id: id, version: 1, created_at: now, updated_at: now, updated_by: who || "claire" };
    events.set(id, doc);
    return doc;
  }
  function clone(x) {
    return JSON.parse(JSON.stringify(x));
  }

  function demo() {
    const sp = (id, name, title, bio = "", links = []) => ({ id, name, title, bio, links });
    const list = [
      {
        title: "Forum des métiers du numérique",
        description: "Deux jours de conférences, d'ateliers et de rencontres entre étudiants, entreprises et écoles.",
        starts_at: iso("2027-01-12T08:00:00Z"), ends_at: iso("2027-01-13T17:00:00Z"), timezone: "Europe/Paris",
        venue: { name: "Palais des congrès", address: "2 place de la Porte Maillot, 75017 Paris", location: { type: "Point", coordinates: [2.2828, 48.8785] } },
        status: "published", tags: ["numérique", "emploi", "étudiants"], capacity: 1200,
        speakers: [sp("a1", "Amélie Nothomb", "Directrice R&D, Octave", "Vingt ans dans la data.", ["https://example.org/amelie"]), sp("b2", "Karim Benali", "CTO, Lumen"), sp("c3", "Sophie Durand", "Chercheuse, Inria")],
        sessions: [
          { id: "s1", title: "Ouverture : le numérique en 2030", abstract: "", starts_at: iso("2027-01-12T08:30:00Z"), ends_at: iso("2027-01-12T09:30:00Z"), room: "Auditorium", speaker_ids: ["a1"] },
          { id: "s2", title: "Table ronde : recruter autrement", abstract: "", starts_at: iso("2027-01-12T10:00:00Z"), ends_at: iso("2027-01-12T11:30:00Z"), room: "Auditorium", speaker_ids: ["b2", "c3"] },
          { id: "s3", title: "Atelier CV et portfolio", abstract: "", starts_at: iso("2027-01-12T13:00:00Z"), ends_at: iso("2027-01-12T14:30:00Z"), room: "Salle Lumière", speaker_ids: [], capacity: 40 },
          { id: "s4", title: "Keynote : l'IA au travail", abstract: "", starts_at: iso("2027-01-13T08:30:00Z"), ends_at: iso("2027-01-13T09:30:00Z"), room: "Auditorium", speaker_ids: ["c3"] },
        ],
        seating: [{ id: "p1", room: "Auditorium", layout: { kind: "grid", rows: 10, seats_per_row: 18 }, blocked: ["A1", "A18", "E9", "E10", "J1", "J2", "J17", "J18"] }, { id: "p2", room: "Salle Lumière", layout: { kind: "tables", tables: 6, seats_per_table: 8 }, blocked: ["T1-1"] }],
        custom: { budget: 48000, traiteur: "Maison Lenôtre", accessible_pmr: true, langues: ["fr", "en"] },
      },
      {
        title: "Soirée de gala des partenaires",
        description: "Dîner annuel avec remise des prix.",
        starts_at: iso("2027-02-04T18:30:00Z"), ends_at: iso("2027-02-04T23:00:00Z"), timezone: "Europe/Paris",
        venue: { name: "Pavillon Ledoyen", address: "8 avenue Dutuit, 75008 Paris" }, status: "draft", tags: ["gala", "partenaires"],
        speakers: [], sessions: [], seating: [{ id: "p3", room: "Grand salon", layout: { kind: "tables", tables: 12, seats_per_table: 10 }, blocked: [] }], custom: {},
      },
      {
        title: "Montréal Tech Summit",
        description: "Le sommet francophone de la tech en Amérique du Nord.",
        starts_at: iso("2027-03-15T13:00:00Z"), ends_at: iso("2027-03-17T21:00:00Z"), timezone: "America/Montreal",
        venue: { name: "Palais des congrès de Montréal", address: "1001 Place Jean-Paul-Riopelle, Montréal" }, status: "published", tags: ["tech", "international", "conférence", "startups", "innovation"],
        speakers: [sp("m1", "Léa Tremblay", "CEO, Nordik AI")], sessions: [], seating: [], custom: {},
      },
      {
        title: "Séminaire d'équipe — Casablanca",
        description: "", starts_at: iso("2026-11-20T08:00:00Z"), ends_at: iso("2026-11-21T16:00:00Z"), timezone: "Africa/Casablanca",
        venue: { name: "Hôtel Sofitel Tour Blanche", address: "Rue Sidi Belyout, Casablanca" }, status: "cancelled", tags: ["interne"],
        speakers: [], sessions: [], seating: [], custom: { motif_annulation: "Reporté au printemps" },
      },
      {
        title: "Atelier design system",
        description: "", starts_at: iso("2026-06-02T07:00:00Z"), ends_at: iso("2026-06-02T15:00:00Z"), timezone: "Europe/Paris",
        venue: { name: "Station F", address: "5 parvis Alan Turing, 75013 Paris" }, status: "archived", tags: ["design", "atelier"],
        speakers: [], sessions: [], seating: [], custom: {},
      },
      {
        title: "London Product Meetup",
        description: "", starts_at: iso("2027-04-08T17:30:00Z"), ends_at: iso("2027-04-08T20:30:00Z"), timezone: "Europe/London",
        venue: { name: "The Barbican Centre", address: "Silk St, London EC2Y 8DS" }, status: "draft", tags: ["produit", "meetup"],
        speakers: [sp("l1", "Oliver Smith", "VP Product"), sp("l2", "Priya Patel", "Designer")], sessions: [], seating: [], custom: {},
      },
      {
        title: "Tokyo Game Conference",
        description: "", starts_at: iso("2027-05-20T00:00:00Z"), ends_at: iso("2027-05-21T09:00:00Z"), timezone: "Asia/Tokyo",
        venue: { name: "Tokyo Big Sight", address: "3-11-1 Ariake, Koto City, Tokyo" }, status: "published", tags: ["jeu vidéo", "international"],
        speakers: [], sessions: [], seating: [], custom: {},
      },
    ];
    let n = 0;
    for (const e of list) {
      store(e, n % 2 ? "marc.l" : "claire");
      n++;
    }
    return n;
  }
  if (!params.get("empty") && status.state === "ready") demo();

  // ---- validation (a subset of the backend's rules) --------------------------------------------
  const INPUT_KEYS = ["title", "description", "starts_at", "ends_at", "timezone", "venue", "status", "tags", "capacity", "speakers", "sessions", "seating", "custom"];
  function validate(input) {
    for (const k of Object.keys(input)) if (!INPUT_KEYS.includes(k)) throw err("validation", "unknown field (put free fields under `custom`)", k);
    if (!String(input.title || "").trim()) throw err("validation", "is required", "title");
    if (input.title.length > 200) throw err("validation", "is longer than 200 characters", "title");
    if (!(Date.parse(input.ends_at) > Date.parse(input.starts_at))) throw err("validation", "must be after starts_at", "ends_at");
    const ids = new Set();
    (input.speakers || []).forEach((s, i) => {
      if (!String(s.name || "").trim()) throw err("validation", "is required", `speakers[${i}].name`);
      if (!s.id) s.id = Math.random().toString(16).slice(2, 14);
      ids.add(s.id);
      (s.links || []).forEach((l, j) => {
        if (!/^https?:\/\/\S{3,}$/.test(l)) throw err("validation", `'${l}' is not a web address (http:// or https://)`, `speakers[${i}].links[${j}]`);
      });
    });
    (input.sessions || []).forEach((s, i) => {
      if (!String(s.title || "").trim()) throw err("validation", "is required", `sessions[${i}].title`);
      if (!(Date.parse(s.ends_at) > Date.parse(s.starts_at))) throw err("validation", "must be after the session's starts_at", `sessions[${i}].ends_at`);
      if (Date.parse(s.starts_at) < Date.parse(input.starts_at) || Date.parse(s.starts_at) > Date.parse(input.ends_at)) throw err("validation", "must fall within the event's dates", `sessions[${i}].starts_at`);
      if (Date.parse(s.ends_at) > Date.parse(input.ends_at)) throw err("validation", "must fall within the event's dates", `sessions[${i}].ends_at`);
      (s.speaker_ids || []).forEach((sid, j) => {
        if (!ids.has(sid)) throw err("validation", `no speaker with id '${sid}' in this event`, `sessions[${i}].speaker_ids[${j}]`);
      });
      if (!s.id) s.id = Math.random().toString(16).slice(2, 14);
    });
    (input.seating || []).forEach((p, i) => {
      if (!String(p.room || "").trim()) throw err("validation", "is required", `seating[${i}].room`);
      const l = p.layout;
      if (l.kind === "grid") {
        if (!(l.rows >= 1 && l.rows <= 100)) throw err("validation", "must be between 1 and 100", `seating[${i}].layout.rows`);
        if (!(l.seats_per_row >= 1 && l.seats_per_row <= 200)) throw err("validation", "must be between 1 and 200", `seating[${i}].layout.seats_per_row`);
      } else {
        if (!(l.tables >= 1 && l.tables <= 500)) throw err("validation", "must be between 1 and 500", `seating[${i}].layout.tables`);
        if (!(l.seats_per_table >= 1 && l.seats_per_table <= 30)) throw err("validation", "must be between 1 and 30", `seating[${i}].layout.seats_per_table`);
      }
      if (!p.id) p.id = Math.random().toString(16).slice(2, 14);
    });
    for (const k of Object.keys(input.custom || {})) {
      if (k.startsWith("$") || k.includes(".")) throw err("validation", "a field name cannot start with '$', contain '.', or exceed 64 characters", `custom.${k}`);
    }
    input.title = input.title.trim();
    return input;
  }

  function summary(e) {
    return { _id: e._id, title: e.title, starts_at: e.starts_at, ends_at: e.ends_at, timezone: e.timezone, venue_name: e.venue.name, status: e.status, tags: e.tags, speakers: e.speakers.length, sessions: e.sessions.length, version: e.version, updated_at: e.updated_at };
  }

  function list(q) {
    let items = [...events.values()];
    let mode = null;
    if (q.q && q.q.trim()) {
      mode = status.server && status.server.capabilities.text_search ? "text" : "terms";
      const words = fold(q.q).split(/\s+/).filter(Boolean);
      items = items.filter((e) => {
        const hay = fold([e.title, e.description, e.venue.name, ...e.tags, ...e.speakers.map((s) => s.name)].join(" ")).split(/[^a-z0-9]+/);
        return words.every((w) => hay.some((h) => h.startsWith(w)));
      });
    }
    if (q.status) items = items.filter((e) => e.status === q.status);
    if (q.tag) items = items.filter((e) => e.tags.includes(q.tag));
    if (q.venue) items = items.filter((e) => fold(e.venue.name).startsWith(fold(q.venue)));
    if (q.from) items = items.filter((e) => Date.parse(e.ends_at) > Date.parse(q.from));
    if (q.to) items = items.filter((e) => Date.parse(e.starts_at) < Date.parse(q.to));
    const sort = q.sort || "starts_at";
    items.sort((a, b) =>
      sort === "title" ? fold(a.title).localeCompare(fold(b.title)) : sort === "updated_at" ? Date.parse(b.updated_at) - Date.parse(a.updated_at) : sort === "starts_at_desc" ? Date.parse(b.starts_at) - Date.parse(a.starts_at) : Date.parse(a.starts_at) - Date.parse(b.starts_at),
    );
    const page = q.page || 1;
    const per = q.per_page || 20;
    return { items: items.slice((page - 1) * per, page * per).map(summary), total: items.length, page, per_page: per, search_mode: mode };
  }

  const delay = (ms) => new Promise((r) => setTimeout(r, ms));

  async function invoke(cmd, args = {}) {
    await delay(30);
    const needDb = cmd.startsWith("events_") || cmd === "seed_demo";
    if (needDb && status.state !== "ready") throw err("db_unavailable", "the database is not ready");
    switch (cmd) {
      case "db_status":
        return clone(status);
      case "db_connect": {
        if (!/^mongodb(\+srv)?:\/\//.test(args.uri)) throw err("validation", "not a MongoDB URI", "uri");
        setStatus({ state: "connecting", source: "settings", server: null, engine: null, error: null });
        await delay(600);
        if (args.remember) settings.saved_uri = args.uri.replace(/:([^:@/]+)@/, ":***@");
        setStatus({ state: "ready", source: "settings", server: remoteServer, engine: null, error: null });
        if (!events.size) demo();
        return clone(status);
      }
      case "db_use_local": {
        settings.saved_uri = null;
        setStatus({ state: "connecting", source: "local", server: null, engine: null, error: null });
        await delay(600);
        if (scenario === "missing") {
          setStatus({ state: "failed", source: "local", server: null, engine: null, error: { code: "engine_missing", message: "still no `mongod` or `secantus` on PATH" } });
        } else {
          setStatus({ state: "ready", source: "local", server: localServer, engine, error: null });
        }
        return clone(status);
      }
      case "settings_get":
        return clone(settings);
      case "settings_set_language":
        settings.language = args.language;
        return null;
      case "events_list":
        return list(args.query || {});
      case "events_get": {
        const e = events.get(args.id);
        if (!e) throw err("not_found", `no event ${args.id}`);
        return clone(e);
      }
      case "events_create": {
        const input = validate(clone(args.input));
        return clone(store(input));
      }
      case "events_update": {
        const e = events.get(args.id);
        if (!e) throw err("not_found", `no event ${args.id}`);
        if (e.version !== args.version) throw err("conflict", "the event was changed by someone else");
        const input = validate(clone(args.input));
        const next = { ...e, ...input, version: e.version + 1, updated_at: new Date().toISOString(), updated_by: "claire" };
        if (!input.capacity) delete next.capacity;
        events.set(e._id, next);
        return clone(next);
      }
      case "events_delete": {
        const e = events.get(args.id);
        if (!e) throw err("not_found", `no event ${args.id}`);
        if (e.version !== args.version) throw err("conflict", "the event was changed by someone else");
        events.delete(args.id);
        return null;
      }
      case "events_duplicate": {
        const e = events.get(args.id);
        if (!e) throw err("not_found", `no event ${args.id}`);
        const { _id, version, created_at, updated_at, updated_by, ...input } = clone(e);
        input.title = args.title || `${e.title} (copie)`;
        input.status = "draft";
        return clone(store(input));
      }
      case "events_tags":
        return [...new Set([...events.values()].flatMap((e) => e.tags))].sort((a, b) => a.localeCompare(b));
      case "events_status_counts": {
        const m = new Map();
        for (const e of events.values()) m.set(e.status, (m.get(e.status) || 0) + 1);
        return [...m].map(([s, count]) => ({ status: s, count }));
      }
      case "seed_demo":
        return demo();
      default:
        throw err("internal", `unknown command ${cmd}`);
    }
  }

  window.__TAURI__ = {
    core: { invoke },
    event: {
      listen: async (name, handler) => {
        (listeners[name] = listeners[name] || []).push(handler);
        return () => {
          listeners[name] = (listeners[name] || []).filter((f) => f !== handler);
        };
      },
    },
  };
  // Test hooks for dev/shot.mjs.
  window.__mock = { events, setStatus, bump: (id) => { const e = events.get(id); e.version++; e.updated_by = "marc.l"; } };
})();
