use phyx::prelude::*;

#[derive(Clone, PartialEq)]
struct Query {
    text: String,
}

struct Search;

#[process]
impl Search {
    #[public]
    #[cache(ttl = "30s")]
    fn find(&self, query: Query) -> Vec<String> {
        vec![query.text]
    }
}

fn main() {}
