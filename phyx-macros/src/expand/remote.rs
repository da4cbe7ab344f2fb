//! `#[process(remote)]`: how each message crosses to another node, as
//! `Message::__wire`. Arguments and replies are written with the
//! runtime's codec, one `Codec` per type; a type that is not serde is one
//! error, on the type as the user wrote it (see `sendable`), and one that
//! is not `Send` either is only the `Send` error.
//!
//! ```text
//! #[process(remote)] impl Counter { #[public] fn add(&mut self, by: u64) -> u64 { .. } }
//!   fn __wire() -> Option<Wire<Self>> { Some(Wire {
//!       schema: 0x..,                     // the methods as written
//!       encode: |message, args| match message {
//!           Self::Add { by, __phyx_reply } => /* by into args */ Encoded { method: 0, reply, .. },
//!       },
//!       decode: |method, args, ask| match method {
//!           0 => /* by from args */ Ok(Decoded { message: Self::Add { by, __phyx_reply }, reply }),
//!           ..
//!       },
//!   }) }
//! ```
//!
//! The whole of it sits in `phyx::__private::remote!`, which keeps it
//! where phyx's `cluster` feature is on and is one error saying how to
//! turn it on elsewhere.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::Cx;
use super::sendable::{Crossing, checked, names_param, respanned, sent, wire};
use crate::model::{Handler, Methods};

/// The `__wire` method of the message's `Message` impl, or nothing for a
/// local process.
pub(super) fn expand(cx: &Cx<'_>, methods: &Methods, remote: Option<Span>, durable: bool) -> TokenStream {
    let Some(span) = remote else {
        return TokenStream::new();
    };
    let krate = &cx.krate;
    let private = quote!(#krate::__private);
    let params = cx.generic_params();
    let schema = Literal::u64_suffixed(schema(&cx.target.ident, &methods.handlers));
    let self_ty = &cx.target.self_ty;

    let encode_arms = methods.handlers.iter().enumerate().map(|(index, handler)| {
        let variant = &handler.variant;
        let method = method_number(index);
        let fields: Vec<_> = handler.fields().map(|(field, _)| field).collect();
        let writes = handler.fields().map(|(field, ty)| {
            let codec = codec(krate, ty, Crossing::Argument, &params);
            quote! {
                if __phyx_error.is_none() {
                    __phyx_error = #codec.encode(#private::Sent::get(&#field), __phyx_args).err();
                }
            }
        });
        let (reply, codec) = reply(krate, &handler.output, &params);
        quote! {
            Self::#variant { #(#fields,)* __phyx_reply, .. } => {
                let mut __phyx_error: #private::Option<#private::String> = #private::None;
                #(#writes)*
                #private::Encoded {
                    method: #method,
                    reply: #private::pending::<#reply>(__phyx_reply, #codec),
                    error: __phyx_error,
                }
            }
        }
    });
    let decode_arms = methods.handlers.iter().enumerate().map(|(index, handler)| {
        let variant = &handler.variant;
        let method = method_number(index);
        let reads = handler.fields().map(|(field, ty)| {
            let wire = wire(krate, ty, Crossing::Argument, &params);
            let codec = codec(krate, ty, Crossing::Argument, &params);
            quote!(let #field: #wire = #codec.decode(&mut __phyx_input)?;)
        });
        let fields = handler.fields().map(|(field, ty)| {
            let sent = sent(krate, ty, Crossing::Argument, &params, quote!(#field));
            quote!(#field: #sent)
        });
        let (reply, codec) = reply(krate, &handler.output, &params);
        let envelope = handler.envelope_field().map(|field| quote!(#field: #private::None));
        // Filled from the frame's `traceparent` header, if it has one.
        let trace = handler.trace_field().map(|field| quote!(#field: #private::None,));
        quote! {
            #method => {
                #(#reads)*
                #private::finish(__phyx_input)?;
                let (__phyx_reply, __phyx_wait) = #private::reply_wait::<#reply>(__phyx_ask, #codec);
                #private::Ok(#private::Decoded {
                    message: Self::#variant { #(#fields,)* __phyx_reply, #trace #envelope },
                    reply: __phyx_wait,
                })
            }
        }
    });
    let down = methods.on_down.as_ref().map(|_| {
        let method = Literal::u16_suffixed(u16::MAX);
        quote! {
            Self::__PhyxDown(_) => #private::Encoded {
                method: #method,
                reply: #private::None,
                error: #private::Some(#private::String::from("a `Down` stays on its own node")),
            },
        }
    });
    // A health check crosses to the child OS process of an isolated
    // process, where the check runs; its number is past every method's.
    let health_encode = methods.health.as_ref().map(|_| {
        quote! {
            Self::__PhyxHealth(__phyx_reply) => #private::Encoded {
                method: #private::HEALTH_METHOD,
                reply: #private::health_pending(__phyx_reply),
                error: #private::None,
            },
        }
    });
    let health_decode = methods.health.as_ref().map(|_| {
        quote! {
            #private::HEALTH_METHOD => {
                #private::finish(__phyx_input)?;
                let (__phyx_reply, __phyx_wait) = #private::health_wait(__phyx_ask);
                #private::Ok(#private::Decoded {
                    message: Self::__PhyxHealth(__phyx_reply),
                    reply: __phyx_wait,
                })
            }
        }
    });
    let phantom = (!cx.type_params().is_empty()).then(|| quote!(Self::__PhyxPhantom(never, _) => match never {},));
    let envelope_arms = methods.handlers.iter().filter_map(|handler| {
        let variant = &handler.variant;
        let field = handler.envelope_field()?;
        Some(quote!(Self::#variant { #field, .. } => *#field = #private::Some(__phyx_came_in),))
    });

    // The macro's path on `remote` too: without the `cluster` feature, its
    // error points there, not at the whole attribute.
    let remote_macro = respanned(krate, span);
    quote_spanned! {span=>
        #remote_macro::__private::remote! {
            #[allow(unreachable_code, unused_mut, unused_variables)]
            fn __wire() -> #private::Option<#private::Wire<Self>> {
                #private::Some(#private::Wire {
                    schema: #schema,
                    durable: #durable,
                    guards: <#self_ty as #krate::Process>::__GUARDS,
                    caches: <#self_ty as #krate::Process>::__CACHES,
                    encode: |__phyx_message: Self, __phyx_args: &mut ::std::vec::Vec<u8>| -> #private::Encoded {
                        match __phyx_message {
                            #(#encode_arms)*
                            #down
                            #health_encode
                            #phantom
                        }
                    },
                    decode: |__phyx_method: u16, __phyx_args: &[u8], __phyx_ask: bool|
                        -> #private::Result<#private::Decoded<Self>, #private::String>
                    {
                        let mut __phyx_input = __phyx_args;
                        match __phyx_method {
                            #(#decode_arms)*
                            #health_decode
                            __phyx_other => #private::Err(::std::format!("no method number {} here", __phyx_other)),
                        }
                    },
                    deliver: |__phyx_message: &mut Self, __phyx_came_in: #krate::Envelope| match __phyx_message {
                        #(#envelope_arms)*
                        #[allow(unreachable_patterns)]
                        _ => {}
                    },
                })
            }
        }
    }
}

fn method_number(index: usize) -> Literal {
    // A process has far fewer than 65,536 methods.
    Literal::u16_suffixed(u16::try_from(index).unwrap_or(u16::MAX))
}

/// `Codec::<ty>::new()`, checked serde (and `Send`, as `crossing` says) on
/// `ty`; for a type that names a type parameter, `codec::<ty>()`, whose
/// bound says so there.
fn codec(krate: &syn::Path, ty: &Type, crossing: Crossing, params: &[&Ident]) -> TokenStream {
    let wire = wire(krate, ty, crossing, params);
    let krate = respanned(krate, ty.span());
    if names_param(ty, params) {
        return quote_spanned!(ty.span()=> #krate::__private::codec::<#ty>());
    }
    quote_spanned!(ty.span()=> #krate::__private::Codec::<#wire>::new())
}

/// The reply type, checked `Send` (`pending` and `reply_wait` require it,
/// and are given it so that they report nothing more), and its codec.
fn reply(krate: &syn::Path, output: &Type, params: &[&Ident]) -> (TokenStream, TokenStream) {
    (
        checked(krate, output, Crossing::Reply, params),
        codec(krate, output, Crossing::Reply, params),
    )
}

/// FNV-1a of the process's methods as written: name, argument types and
/// reply type of each, in order. Any change to them changes it; a change
/// that leaves the wire alone (an argument's name, a body, a `Reply<R>`
/// instead of returning `R`) does not.
fn schema(process: &Ident, handlers: &[Handler]) -> u64 {
    let mut signature = process.to_string();
    for handler in handlers {
        let args: Vec<String> = handler.fields().map(|(_, ty)| quote!(#ty).to_string()).collect();
        let output = &handler.output;
        signature.push_str(&format!(";{}({})->{}", handler.ident, args.join(","), quote!(#output)));
    }
    signature.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::{Kind, Options};
    use crate::errors::Errors;
    use crate::model::Body;
    use syn::ItemImpl;

    /// The schema of a `#[process(remote)]` impl, as the expansion computes it.
    fn schema_of(mut item: ItemImpl) -> u64 {
        let mut errors = Errors::default();
        let options = Options::parse(Kind::Process, quote!(remote), &mut errors);
        let taken = crate::model::take_markers(&mut item);
        let model = crate::check::check(options, &item, crate::model::marked(&item, taken), &mut errors);
        assert_eq!(errors.count(), 0, "{}", errors.into_compile_errors());
        let model = model.expect("a process");
        let Body::Process { methods, .. } = &model.body else {
            panic!("not a process");
        };
        schema(&model.target.ident, &methods.handlers)
    }

    fn counter() -> ItemImpl {
        syn::parse_quote! {
            impl Counter {
                #[public]
                fn add(&mut self, by: u64, label: String) -> u64 { self.count += by; self.count }
                #[public]
                fn get(&self) -> Result<u64, String> { Ok(self.count) }
            }
        }
    }

    #[test]
    fn the_schema_is_the_same_for_the_same_impl() {
        assert_eq!(schema_of(counter()), schema_of(counter()));
        // Bodies, argument names and private items are not on the wire.
        let renamed: ItemImpl = syn::parse_quote! {
            impl Counter {
                #[public]
                fn add(&mut self, amount: u64, _name: String) -> u64 { amount }
                fn helper(&self) {}
                #[public]
                fn get(&self) -> Result<u64, String> { Err(String::new()) }
            }
        };
        assert_eq!(schema_of(counter()), schema_of(renamed));
    }

    #[test]
    fn the_schema_changes_with_a_method_name() {
        let changed: ItemImpl = syn::parse_quote! {
            impl Counter {
                #[public]
                fn increment(&mut self, by: u64, label: String) -> u64 { by }
                #[public]
                fn get(&self) -> Result<u64, String> { Ok(0) }
            }
        };
        assert_ne!(schema_of(counter()), schema_of(changed));
    }

    #[test]
    fn the_schema_changes_with_an_argument_type() {
        let changed: ItemImpl = syn::parse_quote! {
            impl Counter {
                #[public]
                fn add(&mut self, by: u32, label: String) -> u64 { 0 }
                #[public]
                fn get(&self) -> Result<u64, String> { Ok(0) }
            }
        };
        assert_ne!(schema_of(counter()), schema_of(changed));
        let fewer: ItemImpl = syn::parse_quote! {
            impl Counter {
                #[public]
                fn add(&mut self, by: u64) -> u64 { by }
                #[public]
                fn get(&self) -> Result<u64, String> { Ok(0) }
            }
        };
        assert_ne!(schema_of(counter()), schema_of(fewer));
    }

    #[test]
    fn the_schema_changes_with_a_reply_type() {
        let changed: ItemImpl = syn::parse_quote! {
            impl Counter {
                #[public]
                fn add(&mut self, by: u64, label: String) -> u64 { by }
                #[public]
                fn get(&self) -> Result<u64, u8> { Ok(0) }
            }
        };
        assert_ne!(schema_of(counter()), schema_of(changed));
        let later: ItemImpl = syn::parse_quote! {
            impl Counter {
                #[public]
                fn add(&mut self, by: u64, label: String) -> u64 { by }
                #[public]
                fn get(&self, reply: Reply<Option<u64>>) {}
            }
        };
        assert_ne!(schema_of(counter()), schema_of(later));
    }

    #[test]
    fn the_schema_changes_with_the_order_of_methods() {
        let swapped: ItemImpl = syn::parse_quote! {
            impl Counter {
                #[public]
                fn get(&self) -> Result<u64, String> { Ok(0) }
                #[public]
                fn add(&mut self, by: u64, label: String) -> u64 { by }
            }
        };
        assert_ne!(schema_of(counter()), schema_of(swapped));
    }
}
