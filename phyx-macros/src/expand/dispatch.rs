//! The `Process` impl: running one message, and the lifecycle hooks.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};

use super::{Cx, options};
use crate::attr::ProcessOptions;
use crate::valid::{Hook, Param};

pub(super) fn expand(cx: &Cx<'_>, process_options: &ProcessOptions) -> TokenStream {
    let Cx {
        krate, message, handle, ..
    } = cx;
    let self_ty = &cx.target.self_ty;
    let (impl_generics, ty_generics, where_clause) = cx.generics.split_for_impl();
    let name = Literal::string(&cx.target.ident.to_string());
    let options = options::expand(krate, process_options);
    let guards = guard_specs(cx);
    let private = quote!(#krate::__private);

    let arms = cx.methods.handlers.iter().map(|handler| {
        let ident = &handler.ident;
        let variant = &handler.variant;
        let fields = handler.fields().map(|(field, _)| field);
        let args = handler.params.iter().map(|param| match param {
            Param::Ctx => quote!(__phyx_ctx),
            Param::Value { field, .. } => quote!(#field),
        });
        let awaited = handler.is_async.then(|| quote!(.await));
        quote! {
            #message::#variant { #(#fields,)* __phyx_reply } => {
                #private::reply(__phyx_reply, async move { Self::#ident(self, #(#args),*) #awaited }).await
            }
        }
    });
    let phantom_arm =
        (!cx.type_params().is_empty()).then(|| quote!(#message::__PhyxPhantom(never, _) => match never {},));

    let on_start = cx.methods.on_start.as_ref().map(|hook| {
        let call = hook_call(hook, quote!(__phyx_reason_unused));
        // Spanned on the hook's return type, where a wrong one is reported.
        let outcome = quote_spanned!(hook.output_span=> #private::StartOutcome::into_outcome(__phyx_returned));
        quote! {
            fn __on_start<'__phyx>(
                &'__phyx mut self,
                __phyx_ctx: &'__phyx mut #krate::Ctx<Self>,
            ) -> impl #private::Future<Output = #private::Result<(), #private::String>> + #private::Send + '__phyx {
                async move {
                    let __phyx_returned = #call;
                    #outcome
                }
            }
        }
    });
    let on_stop = cx.methods.on_stop.as_ref().map(|hook| {
        let call = hook_call(hook, quote!(__phyx_reason));
        quote! {
            fn __on_stop<'__phyx>(
                &'__phyx mut self,
                __phyx_ctx: &'__phyx mut #krate::Ctx<Self>,
                __phyx_reason: #krate::StopReason,
            ) -> impl #private::Future<Output = ()> + #private::Send + '__phyx {
                async move { #call; }
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Process for #self_ty #where_clause {
            type Message = #message #ty_generics;
            type Ref = #handle #ty_generics;
            const NAME: &'static str = #name;
            #guards

            fn options() -> #krate::SpawnOptions {
                #options
            }

            #[allow(unreachable_code, clippy::diverging_sub_expression)]
            fn __handle<'__phyx>(
                &'__phyx mut self,
                __phyx_ctx: &'__phyx mut #krate::Ctx<Self>,
                __phyx_message: Self::Message,
            ) -> impl #private::Future<Output = #private::Result<(), #private::Panic>> + #private::Send + '__phyx {
                async move {
                    let __phyx_outcome: #private::Result<(), #private::Panic> = match __phyx_message {
                        #(#arms)*
                        #phantom_arm
                    };
                    __phyx_outcome
                }
            }

            #on_start
            #on_stop
        }
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
fn guard_specs(cx: &Cx<'_>) -> Option<TokenStream> {
    let private = {
        let krate = &cx.krate;
        quote!(#krate::__private)
    };
    let duration = |d: &std::time::Duration| {
        let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
        quote!(#private::Duration::new(#secs, #nanos))
    };
    let specs: Vec<TokenStream> = cx
        .methods
        .handlers
        .iter()
        // In the order the handle's `__guarded(index, ..)` counts them.
        .filter(|handler| handler.breaker.is_some() || handler.rate.is_some())
        .map(|handler| {
            let method = handler.ident.to_string();
            let rate = handler.rate.as_ref().map_or_else(
                || quote!(#private::None),
                |rate| {
                    let per = duration(&rate.per);
                    let (count, burst, wait, keyed) = (rate.count, rate.burst, rate.wait, rate.key.is_some());
                    quote!(#private::Some(#private::RateSpec { per: #per, count: #count, burst: #burst, wait: #wait, keyed: #keyed }))
                },
            );
            let breaker = handler.breaker.as_ref().map_or_else(
                || quote!(#private::None),
                |breaker| {
                    let cooldown = duration(&breaker.cooldown);
                    let (failures, trials) = (breaker.failures, breaker.trials);
                    quote!(#private::Some(#private::BreakerSpec { failures: #failures, cooldown: #cooldown, trials: #trials }))
                },
            );
            quote!(#private::GuardSpec { method: #method, rate: #rate, breaker: #breaker })
        })
        .collect();
    (!specs.is_empty()).then(|| quote!(const __GUARDS: &'static [#private::GuardSpec] = &[#(#specs),*];))
}
