//! `#[process(remote)]`: how each message crosses to another node, as
//! `Message::__wire`. Arguments and replies are written with the
//! runtime's codec, one `Codec` per type; a type that is not serde is one
//! error, on the type as the user wrote it (see `sendable`).
//!
//! The whole of it sits in `phyx::__private::remote!`, which keeps it
//! where phyx's `cluster` feature is on and is one error saying how to
//! turn it on elsewhere.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};

use super::Cx;
use super::sendable::{Crossing, checked, sent};
use crate::model::Methods;

/// The `__wire` method of the message's `Message` impl, or nothing for a
/// local process.
pub(super) fn expand(cx: &Cx<'_>, methods: &Methods, remote: Option<Span>) -> TokenStream {
    let Some(span) = remote else {
        return TokenStream::new();
    };
    let krate = &cx.krate;
    let private = quote!(#krate::__private);
    let params = cx.generic_params();
    let schema = Literal::u64_suffixed(schema(cx, methods));
    let self_ty = &cx.target.self_ty;

    let encode_arms = methods.handlers.iter().enumerate().map(|(index, handler)| {
        let variant = &handler.variant;
        let method = method_number(index);
        let fields: Vec<_> = handler.fields().map(|(field, _)| field).collect();
        let writes = handler.fields().map(|(field, ty)| {
            let ty = checked(krate, ty, Crossing::Wire, &params);
            quote! {
                if __phyx_error.is_none() {
                    __phyx_error = #private::Codec::<#ty>::new()
                        .encode(#private::Sent::get(&#field), __phyx_args)
                        .err();
                }
            }
        });
        let output = checked(krate, &handler.output, Crossing::Wire, &params);
        quote! {
            Self::#variant { #(#fields,)* __phyx_reply } => {
                let mut __phyx_error: #private::Option<#private::String> = #private::None;
                #(#writes)*
                #private::Encoded {
                    method: #method,
                    reply: #private::pending(__phyx_reply, #private::Codec::<#output>::new()),
                    error: __phyx_error,
                }
            }
        }
    });
    let decode_arms = methods.handlers.iter().enumerate().map(|(index, handler)| {
        let variant = &handler.variant;
        let method = method_number(index);
        let reads = handler.fields().map(|(field, ty)| {
            let wire = checked(krate, ty, Crossing::Wire, &params);
            quote!(let #field: #wire = #private::Codec::<#wire>::new().decode(&mut __phyx_input)?;)
        });
        let fields = handler.fields().map(|(field, ty)| {
            let sent = sent(krate, ty, Crossing::Argument, &params, quote!(#field));
            quote!(#field: #sent)
        });
        let output = checked(krate, &handler.output, Crossing::Wire, &params);
        quote! {
            #method => {
                #(#reads)*
                #private::finish(__phyx_input)?;
                let (__phyx_reply, __phyx_wait) =
                    #private::reply_wait(__phyx_ask, #private::Codec::<#output>::new());
                #private::Ok(#private::Decoded {
                    message: Self::#variant { #(#fields,)* __phyx_reply },
                    reply: __phyx_wait,
                })
            }
        }
    });
    let down = methods.on_down.as_ref().map(|_| {
        quote! {
            Self::__PhyxDown(_) => #private::Encoded {
                method: u16::MAX,
                reply: #private::None,
                error: #private::Some(#private::String::from("a `Down` stays on its own node")),
            },
        }
    });
    let phantom = (!cx.type_params().is_empty()).then(|| quote!(Self::__PhyxPhantom(never, _) => match never {},));

    quote_spanned! {span=>
        #private::remote! {
            #[allow(unreachable_code, unused_mut, unused_variables)]
            fn __wire() -> #private::Option<#private::Wire<Self>> {
                #private::Some(#private::Wire {
                    schema: #schema,
                    guards: <#self_ty as #krate::Process>::__GUARDS,
                    encode: |__phyx_message: Self, __phyx_args: &mut ::std::vec::Vec<u8>| -> #private::Encoded {
                        match __phyx_message {
                            #(#encode_arms)*
                            #down
                            #phantom
                        }
                    },
                    decode: |__phyx_method: u16, __phyx_args: &[u8], __phyx_ask: bool|
                        -> #private::Result<#private::Decoded<Self>, #private::String>
                    {
                        let mut __phyx_input = __phyx_args;
                        match __phyx_method {
                            #(#decode_arms)*
                            __phyx_other => #private::Err(::std::format!("no method number {} here", __phyx_other)),
                        }
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

/// FNV-1a of the process's methods as written: name, argument types and
/// reply type of each, in order. Any change to them changes it.
fn schema(cx: &Cx<'_>, methods: &Methods) -> u64 {
    let mut signature = cx.target.ident.to_string();
    for handler in &methods.handlers {
        let args: Vec<String> = handler.fields().map(|(_, ty)| quote!(#ty).to_string()).collect();
        let output = &handler.output;
        signature.push_str(&format!(";{}({})->{}", handler.ident, args.join(","), quote!(#output)));
    }
    signature.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
