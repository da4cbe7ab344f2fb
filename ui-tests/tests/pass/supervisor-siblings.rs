//! `#[child]` parameters: handles of earlier children, by handle type,
//! spelled as the generated name, through a path, or as `Process::Ref`;
//! and among children of one type, by the parameter's name.

use phyx::prelude::*;

mod net {
    use phyx::prelude::*;

    pub struct Fetcher;

    #[process]
    impl Fetcher {
        #[public]
        pub fn fetch(&self) {}
    }
}

struct Cache {
    _fetcher: net::FetcherRef,
}

#[process]
impl Cache {
    #[public]
    fn get(&self) {}
}

struct Pair {
    _left: <net::Fetcher as phyx::Process>::Ref,
    _cache: CacheRef,
}

#[process]
impl Pair {
    #[public]
    fn get(&self) {}
}

struct Store;

#[supervisor(strategy = rest_for_one)]
impl Store {
    #[child]
    fn left(&self) -> net::Fetcher {
        net::Fetcher
    }

    #[child]
    fn right(&self) -> net::Fetcher {
        net::Fetcher
    }

    #[child]
    fn cache(&self, right: net::FetcherRef) -> Cache {
        Cache { _fetcher: right }
    }

    #[child(restart = transient)]
    fn pair(&self, cache: CacheRef, left: <net::Fetcher as phyx::Process>::Ref) -> Pair {
        Pair {
            _left: left,
            _cache: cache,
        }
    }
}

fn main() {
    let _ = |store: StoreRef| store.pair();
}
