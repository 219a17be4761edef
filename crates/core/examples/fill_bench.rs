// Scratch: finish the handler bench's 100,000-event data set (not committed).
use bson::Document;
#[tokio::main]
async fn main() {
    let uri = std::env::var("MONGODB_URI").unwrap();
    let from: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    let to: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let evs = client
        .database("s22_bench_100000_lab")
        .collection::<Document>("events");
    let mut i = from;
    let t = std::time::Instant::now();
    while i < to {
        let end = (i + 250).min(to);
        let docs: Vec<Document> = (i..end)
            .map(|k| eventhub_core::lab::generate::event(42, k).unwrap())
            .collect();
        if let Err(e) = evs.insert_many(docs).ordered(false).await {
            eprintln!(
                "{i}: {}",
                e.to_string().chars().take(120).collect::<String>()
            );
        }
        i = end;
        eprintln!("{i} {:.0} s", t.elapsed().as_secs_f64());
    }
}
