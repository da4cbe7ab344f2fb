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
    fn fetcher(&self) -> Fetcher {
        Fetcher
    }

    #[child]
    fn cache(&self, fetcher: &FetcherRef) -> Cache {
        let _ = fetcher;
        Cache
    }
}

fn main() {}
