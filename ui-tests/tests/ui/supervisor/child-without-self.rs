use phyx::prelude::*;

#[derive(Default)]
struct Fetcher;

#[process]
impl Fetcher {
    #[public]
    fn fetch(&self) {}
}

struct Cache;

#[process]
impl Cache {
    #[public]
    fn get(&self) {}
}

struct Store;

#[supervisor]
impl Store {
    #[child]
    fn cache(fetcher: FetcherRef) -> Cache {
        let _ = fetcher;
        Cache
    }
}

fn main() {}
