//! E-mail through a real SMTP server on loopback (aiosmtpd keeping a Maildir).

use eventhub_core::{
    mail::{
        self,
        template::{self, Lang, Vars},
        Mailer, OutgoingMail, Security, SmtpSettings,
    },
    testing::{cleanup, fresh_core, SmtpSink},
    Code,
};
use mailparse::MailHeaderMap;

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        username: String::new(),
        from_email: "events@eventhub.test".into(),
        from_name: "Équipe EventHub".into(),
    }
}

#[tokio::test]
async fn an_invitation_arrives_with_both_parts_and_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path());
    let mailer = Mailer::new(&settings(sink.port), None).unwrap();
    mailer.check().await.unwrap();
    let vars = Vars {
        name: "Zoé Dupont".into(),
        event_title: "Journée Écoresponsable".into(),
        event_date: "jeudi 15 avril 2027".into(),
        venue: "Halle Tony Garnier, Lyon".into(),
        rsvp_link: "http://127.0.0.1:8787/r/Zx9".into(),
    };
    let r = template::render(&template::default_invitation(Lang::Fr), &vars, Lang::Fr).unwrap();
    mailer
        .send(&OutgoingMail {
            to_email: "zoe@example.org".into(),
            to_name: "Zoé Dupont".into(),
            subject: r.subject,
            text: r.text,
            html: r.html,
            calendar: None,
        })
        .await
        .unwrap();

    let msgs = tokio::task::spawn_blocking(move || {
        let m = sink.wait_for(1);
        drop(sink);
        m
    })
    .await
    .unwrap();
    assert_eq!(msgs.len(), 1);
    let parsed = mailparse::parse_mail(&msgs[0]).unwrap();
    let h = &parsed.headers;
    assert!(h.get_first_value("To").unwrap().contains("zoe@example.org"));
    assert!(h
        .get_first_value("From")
        .unwrap()
        .contains("events@eventhub.test"));
    assert_eq!(
        h.get_first_value("Subject").unwrap(),
        "Invitation : Journée Écoresponsable"
    );
    assert_eq!(parsed.subparts.len(), 2, "plain text and HTML");
    let text = parsed.subparts[0].get_body().unwrap();
    let html = parsed.subparts[1].get_body().unwrap();
    assert_eq!(parsed.subparts[0].ctype.mimetype, "text/plain");
    assert_eq!(parsed.subparts[1].ctype.mimetype, "text/html");
    assert!(text.contains("Bonjour Zoé Dupont"), "{text}");
    assert!(text.contains("http://127.0.0.1:8787/r/Zx9"));
    assert!(
        html.contains("href=\"http://127.0.0.1:8787/r/Zx9\""),
        "{html}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_clear_transient_error() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = Mailer::new(&settings(port), None).unwrap();
    let err = mail::send_test(&mailer, "ann@example.org", Lang::En)
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::DbUnavailable, "{err:?}");
    assert!(
        err.message.starts_with("e-mail not sent"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn settings_are_validated_and_kept_without_the_password() {
    let core = fresh_core("mail_settings").await;
    assert_eq!(mail::load_settings(&core).await.unwrap(), None);
    let mut bad = settings(587);
    bad.from_email = "pas-une-adresse".into();
    let e = mail::save_settings(&core, bad).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("from_email"));
    let mut bad = settings(0);
    bad.host = "smtp.example.org".into();
    assert_eq!(
        mail::save_settings(&core, bad)
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("port")
    );
    let saved = mail::save_settings(&core, settings(2525)).await.unwrap();
    assert_eq!(mail::load_settings(&core).await.unwrap(), Some(saved));
    let doc = core
        .db()
        .collection::<bson::Document>(mail::SETTINGS)
        .find_one(bson::doc! { "_id": "smtp" })
        .await
        .unwrap()
        .unwrap();
    assert!(!format!("{doc:?}").to_lowercase().contains("password"));
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn the_organisers_template_is_checked_kept_and_used() {
    let core = fresh_core("mail_template").await;
    assert_eq!(
        mail::load_template(&core, Lang::En).await.unwrap(),
        template::default_invitation(Lang::En)
    );
    let bad = template::Template {
        subject: "Hi {firstname}".into(),
        body: "{rsvp_link}".into(),
    };
    let e = mail::save_template(&core, Lang::En, &bad)
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("subject"));
    let mine = template::Template {
        subject: "{event_title}: are you in?".into(),
        body: "Dear {name},\n\n{rsvp_link}".into(),
    };
    mail::save_template(&core, Lang::En, &mine).await.unwrap();
    assert_eq!(mail::load_template(&core, Lang::En).await.unwrap(), mine);
    assert_eq!(
        mail::load_template(&core, Lang::Fr).await.unwrap(),
        template::default_invitation(Lang::Fr),
        "each language has its own"
    );
    assert_eq!(
        mail::reset_template(&core, Lang::En).await.unwrap(),
        template::default_invitation(Lang::En)
    );
    assert_eq!(
        mail::load_template(&core, Lang::En).await.unwrap(),
        template::default_invitation(Lang::En)
    );
    cleanup(&core).await.unwrap();
}
