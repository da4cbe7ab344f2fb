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

mod other {
    pub struct FetcherRef;
}

#[supervisor]
impl Store {
    #[child]
    fn fetcher(&self) -> Fetcher {
        Fetcher
    }

    // Named like the fetcher's handle, but another type: rustc says so.
    #[child]
    fn cache(&self, fetcher: other::FetcherRef) -> Cache {
        let _ = fetcher;
        Cache
    }
}

fn main() {}
