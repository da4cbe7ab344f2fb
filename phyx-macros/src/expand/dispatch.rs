//! The `Process` impl: running one message, and the lifecycle hooks.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::idempotent::{self, Run};
use super::runtime::{duration, handle_fn, on_start_fn, on_stop_fn, private};
use super::sendable::{Crossing, checked, respanned, sent};
use super::{Cx, decided, journal, options};
use crate::attr::ProcessOptions;
use crate::model::{Hook, Methods, Param};

pub(super) fn expand(cx: &Cx<'_>, methods: &Methods, process_options: &ProcessOptions) -> TokenStream {
    let Cx {
        krate, message, handle, ..
    } = cx;
    let self_ty = &cx.target.self_ty;
    let (impl_generics, ty_generics, where_clause) = cx.generics.split_for_impl();
    let name = Literal::string(&cx.target.ident.to_string());
    let options = options::expand(krate, process_options);
    let guards = guard_specs(krate, methods);
    let caches = decided::count(methods);
    let private = private(krate);

    let params = cx.generic_params();
    let arms = methods.handlers.iter().map(|handler| {
        let ident = &handler.ident;
        let variant = &handler.variant;
        let fields: Vec<_> = handler.fields().map(|(field, _)| field).collect();
        // Spelled checked (see `sendable`): when an argument is not `Send`,
        // the handler's future that holds it is not either, and this keeps
        // rustc from saying so a second time.
        let opened = handler.fields().map(|(field, ty)| {
            let checked = checked(krate, ty, Crossing::Argument, &params);
            quote!(let #field: #checked = #private::Sent::into_inner(#field);)
        });
        let args = handler.params.iter().map(|param| match param {
            Param::Ctx => quote!(__phyx_ctx),
            Param::Reply => quote!(__phyx_later),
            Param::Envelope => quote!(#private::Option::unwrap_or_else(__phyx_envelope, #krate::Envelope::local)),
            Param::Value { field, .. } => quote!(#field),
        });
        let awaited = handler.is_async.then(|| quote!(.await));
        let envelope = handler.envelope_field();
        let invalidate = decided::invalidate(methods, handler);
        let trace = handler.trace_field().map(|field| quote!(#field,));
        // A traced method's handler runs in its own scope and span (see
        // `phyx::trace`). An async one's are opened before its future
        // borrows the context, and made current around each of its polls;
        // a synchronous one's future ends in the poll that starts it, under
        // a guard made before it (so that the future holds nothing more
        // than an untraced one's).
        let name = handler.ident.to_string();
        let traced_async = handler.traced && handler.is_async;
        let open = traced_async.then(
            || quote!(let __phyx_opened = #private::open_trace(__phyx_trace, #krate::Ctx::name(__phyx_ctx), #name);),
        );
        let enter = (handler.traced && !handler.is_async).then(|| {
            quote!(let __phyx_in_trace = #private::enter_trace(__phyx_trace, || #krate::Ctx::name(__phyx_ctx), #name);)
        });
        let wrap = |future: TokenStream| {
            if traced_async {
                quote!(#private::traced(__phyx_opened, #future))
            } else {
                future
            }
        };
        if handler.replies_later() {
            // In: `fn fetch(&mut self, url: String, reply: Reply<String>)`.
            // Out: the caller's end moved into a `Reply` (checked `Send`
            // on `String`, as a returned reply is), and the handler run
            // with no one to answer when it returns.
            let output = &handler.output;
            let checked = checked(krate, output, Crossing::Reply, &params);
            let reply_krate = respanned(krate, output.span());
            let later = quote_spanned!(output.span()=> #reply_krate::Reply::<#checked>::__new(__phyx_reply));
            let handler_future =
                wrap(quote!(#private::handle_later(async move { Self::#ident(self, #(#args),*) #awaited; })));
            let run = idempotent::arm(
                cx,
                methods,
                handler,
                Run::Later(quote! {
                    let __phyx_later = #later;
                    #handler_future.await
                }),
            );
            return quote! {
                #message::#variant { #(#fields,)* __phyx_reply, #trace #envelope } => {
                    #invalidate
                    #(#opened)*
                    #open
                    #enter
                    #run
                }
            };
        }
        let reply = sent(
            krate,
            &handler.output,
            Crossing::Reply,
            &params,
            quote!(Self::#ident(self, #(#args),*) #awaited),
        );
        let run = idempotent::arm(cx, methods, handler, Run::Reply(wrap(quote!(async move { #reply }))));
        quote! {
            #message::#variant { #(#fields,)* __phyx_reply, #trace #envelope } => {
                #invalidate
                #(#opened)*
                #open
                #enter
                #run
            }
        }
    });
    let phantom_arm =
        (!cx.type_params().is_empty()).then(|| quote!(#message::__PhyxPhantom(never, _) => match never {},));

    let on_start = methods.on_start.as_ref().map(|hook| {
        let call = hook_call(hook, quote!(__phyx_reason_unused));
        // Spanned on the hook's return type, where a wrong one is reported.
        let outcome = quote_spanned!(hook.output_span=> #private::StartOutcome::into_outcome(__phyx_returned));
        on_start_fn(
            krate,
            quote! {
                let __phyx_returned = #call;
                #outcome
            },
        )
    });
    let on_stop = methods.on_stop.as_ref().map(|hook| {
        let call = hook_call(hook, quote!(__phyx_reason));
        on_stop_fn(krate, quote!(#call;))
    });
    // `#[on_down]` runs as a tell would: isolated, a panic a crash.
    let down_arm = methods.on_down.as_ref().map(|hook| {
        let call = hook_call(hook, quote!(__phyx_down));
        quote! {
            #message::__PhyxDown(__phyx_down) => {
                #private::handle_and_reply(#private::None, async move { #private::Sent::new(#call) }).await
            }
        }
    });
    // `#[health_check]` runs as a handler would: isolated, a panic a
    // crash; its answer goes to whoever waits for it.
    let health_arm = methods.health.as_ref().map(|check| {
        let call = hook_call(check, quote!(__phyx_unused));
        // Spanned on the check's return type, where a wrong one is reported.
        let health = quote_spanned!(check.output_span=> #private::IntoHealth::into_health(__phyx_returned));
        quote! {
            #message::__PhyxHealth(__phyx_reply) => {
                #private::check_health(__phyx_reply, async move {
                    let __phyx_returned = #call;
                    #health
                })
                .await
            }
        }
    });
    let watcher = methods.on_down.as_ref().map(|_| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::Watcher for #self_ty #where_clause {
                fn __down(down: #krate::Down) -> Self::Message {
                    #message::__PhyxDown(down)
                }
            }
        }
    });
    // `#[process(remote)]`: the marker that bounds what needs a process
    // whose messages cross (`phyx::cluster::Remote`), kept only where
    // phyx's `cluster` feature is on (elsewhere `__wire` is the one error).
    let remote = process_options.remote.map(|span| {
        let remote_macro = respanned(krate, span);
        quote_spanned! {span=>
            #remote_macro::__private::remote_items! {
                #[automatically_derived]
                impl #impl_generics #krate::__private::Remote for #self_ty #where_clause {}
            }
        }
    });
    let recover = journal::recover_fn(cx, process_options, methods);
    let event_sourced = journal::event_sourced(cx, process_options, methods);
    let run = handle_fn(
        krate,
        quote! {
            let __phyx_outcome: #private::Result<(), #private::Panic> = match __phyx_message {
                #(#arms)*
                #down_arm
                #health_arm
                #phantom_arm
            };
            __phyx_outcome
        },
    );

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Process for #self_ty #where_clause {
            type Message = #message #ty_generics;
            type Ref = #handle #ty_generics;
            const NAME: &'static str = #name;
            #guards
            #caches

            fn options() -> #krate::SpawnOptions {
                #options
            }

            #[allow(unreachable_code, clippy::diverging_sub_expression)]
            #run

            #recover
            #on_start
            #on_stop
        }

        #watcher
        #remote
        #event_sourced
    }
}

/// `Self::hook(self, ctx, reason)` in the order the method declares them.
fn hook_call(hook: &Hook, reason: TokenStream) -> TokenStream {
    let ident = &hook.ident;
    let args = hook
        .params
        .iter()
        .map(|&is_ctx| if is_ctx { quote!(__phyx_ctx) } else { reason.clone() });
    let awaited = hook.is_async.then(|| quote!(.await));
    quote!(Self::#ident(self, #(#args),*) #awaited)
}

/// `const __GUARDS`: the rate limits and breakers of the guarded methods.
fn guard_specs(krate: &syn::Path, methods: &Methods) -> Option<TokenStream> {
    let private = private(krate);
    let specs: Vec<TokenStream> = methods
        .guarded()
        .map(|handler| {
            let method = handler.ident.to_string();
            let rate = handler.rate.as_ref().map_or_else(
                || quote!(#private::None),
                |rate| {
                    let per = duration(krate, rate.per);
                    let (count, burst, wait, keyed) = (rate.count, rate.burst, rate.wait, rate.key.is_some());
                    quote!(#private::Some(#private::RateSpec { per: #per, count: #count, burst: #burst, wait: #wait, keyed: #keyed }))
                },
            );
            let breaker = handler.breaker.as_ref().map_or_else(
                || quote!(#private::None),
                |breaker| {
                    let cooldown = duration(krate, breaker.cooldown);
                    let (failures, trials) = (breaker.failures, breaker.trials);
                    quote!(#private::Some(#private::BreakerSpec { failures: #failures, cooldown: #cooldown, trials: #trials }))
                },
            );
            quote!(#private::GuardSpec { method: #method, rate: #rate, breaker: #breaker })
        })
        .collect();
    (!specs.is_empty()).then(|| quote!(const __GUARDS: &'static [#private::GuardSpec] = &[#(#specs),*];))
}
