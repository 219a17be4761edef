//! The registration burst at CI size: 300 strangers register within 3 s through two
//! portal instances for 30 seats (the full 10,000 / 1,000 run is
//! `eventhub-cli bench portal-burst`).

use std::time::Duration;

use eventhub_core::testing::{cleanup, fresh_core};
use eventhub_portal::bench::{registration_burst, BurstOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registration_burst_fills_exactly_the_seats_in_arrival_order() {
    let core = fresh_core("portal_burst").await;
    let r = registration_burst(
        &core,
        &BurstOptions {
            registrations: 300,
            seats: 30,
            ramp: Duration::from_secs(3),
            concurrency: 64,
        },
    )
    .await
    .unwrap();
    eprintln!("{r:?}");
    assert_eq!(r.stored_accepted, 30, "exactly the seats");
    assert_eq!(r.seats_taken, 30);
    assert_eq!(r.stored_waitlisted, 270, "everyone else waits");
    assert_eq!((r.answered_accepted, r.answered_waitlisted), (30, 270));
    assert_eq!((r.lost, r.server_errors, r.other), (0, 0, 0));
    assert_eq!(r.order_violations, 0);
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    cleanup(&core).await.unwrap();
}
