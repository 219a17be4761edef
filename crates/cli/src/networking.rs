//! `eventhub-cli networking …`: the organiser's networking figures of an event.

use clap::Subcommand;
use eventhub_core::{networking, Core, Error};

use crate::print_json;

#[derive(Subcommand)]
pub enum Cmd {
    /// Connections made, over time (per hour and per day), most connected companies.
    Stats {
        event: String,
        /// Print CSV instead of text.
        #[arg(long)]
        csv: bool,
    },
}

pub async fn run(cmd: &Cmd, core: &Core, json_out: bool) -> Result<(), Error> {
    match cmd {
        Cmd::Stats { event, csv } => {
            let s = networking::stats(core, event).await?;
            if json_out {
                print_json(&s);
            } else if *csv {
                print!("{}", networking::stats_csv(&s));
            } else {
                println!(
                    "profiles {} · connections {} ({} people) · pending requests {} · meetings {} ({} accepted)",
                    s.profiles_opted_in,
                    s.connections_made,
                    s.participants_connected,
                    s.requests_pending,
                    s.meetings_proposed,
                    s.meetings_accepted
                );
                for b in &s.per_day {
                    println!("day   {}  {}", b.bucket, b.connections);
                }
                for b in &s.per_hour {
                    println!("hour  {}  {}", b.bucket, b.connections);
                }
                for c in &s.top_companies {
                    println!("company  {}  {}", c.company, c.connections);
                }
            }
        }
    }
    Ok(())
}
