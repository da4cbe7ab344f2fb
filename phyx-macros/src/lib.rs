//! Attribute macros of [phyx](https://docs.rs/phyx). Depend on `phyx` and
//! use them as `phyx::process`, `phyx::public`, ...; their documentation
//! lives there.
use proc_macro::TokenStream;
#[proc_macro_attribute]
pub fn process(_args: TokenStream, input: TokenStream) -> TokenStream { input }
#[proc_macro_attribute]
pub fn public(_args: TokenStream, input: TokenStream) -> TokenStream { input }
#[proc_macro_attribute]
pub fn on_start(_args: TokenStream, input: TokenStream) -> TokenStream { input }
#[proc_macro_attribute]
pub fn on_stop(_args: TokenStream, input: TokenStream) -> TokenStream { input }
