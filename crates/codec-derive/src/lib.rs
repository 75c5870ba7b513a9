//! `#[derive(Encode, Decode)]` for marmalade-codec.
//!
//! Structs encode their fields in order; enums encode a one-byte discriminator (the variant's
//! position, or `#[codec(index = N)]`) followed by the variant's fields. Field attributes:
//!
//! - `#[codec(compact)]`: an integer encoded with the natural-number encoding `E` (GP C.6).
//! - `#[codec(len = NAME)]`: a `Vec` whose length is the chain parameter `SeqLens::NAME`,
//!   encoded without a length prefix.
//! - `#[codec(with = PATH)]`: encode with `PATH::encode_to(&field, out)` and decode with
//!   `PATH::decode(r)`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{
    parse_macro_input, parse_quote, Data, DeriveInput, Field, Fields, GenericParam, Generics,
    Ident, LitInt, Path,
};

enum FieldMode {
    Plain,
    Compact,
    Len(Ident),
    With(Path),
}

fn field_mode(field: &Field) -> syn::Result<FieldMode> {
    let mut mode = FieldMode::Plain;
    for attr in &field.attrs {
        if !attr.path().is_ident("codec") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("compact") {
                mode = FieldMode::Compact;
                Ok(())
            } else if meta.path.is_ident("len") {
                mode = FieldMode::Len(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("with") {
                mode = FieldMode::With(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error("expected `compact`, `len = NAME` or `with = PATH`"))
            }
        })?;
    }
    Ok(mode)
}

fn variant_index(attrs: &[syn::Attribute], default: usize) -> syn::Result<u8> {
    let mut index = None;
    for attr in attrs {
        if !attr.path().is_ident("codec") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("index") {
                let lit: LitInt = meta.value()?.parse()?;
                index = Some(lit.base10_parse::<u8>()?);
                Ok(())
            } else {
                Err(meta.error("expected `index = N`"))
            }
        })?;
    }
    match index {
        Some(i) => Ok(i),
        None => u8::try_from(default)
            .map_err(|_| syn::Error::new(proc_macro2::Span::call_site(), "too many variants")),
    }
}

fn add_bound(generics: &Generics, bound: TokenStream2) -> Generics {
    let mut g = generics.clone();
    for p in g.params.iter_mut() {
        if let GenericParam::Type(t) = p {
            t.bounds.push(parse_quote!(#bound));
        }
    }
    g
}

fn encode_field(access: TokenStream2, mode: &FieldMode) -> TokenStream2 {
    match mode {
        FieldMode::Plain => quote! { ::marmalade_codec::Encode::encode_to(#access, out); },
        FieldMode::Compact => {
            quote! { ::marmalade_codec::encode_natural(u64::from(*#access), out); }
        }
        FieldMode::Len(_) => quote! { ::marmalade_codec::encode_fixed_seq(#access, out); },
        FieldMode::With(path) => quote! { #path::encode_to(#access, out); },
    }
}

fn decode_field(mode: &FieldMode) -> TokenStream2 {
    match mode {
        FieldMode::Plain => quote! { ::marmalade_codec::Decode::decode(r)? },
        FieldMode::Compact => quote! {
            {
                let x = ::marmalade_codec::decode_natural(r)?;
                ::core::convert::TryFrom::try_from(x).map_err(|_| {
                    ::marmalade_codec::Error::OutOfRange { value: x, ty: "compact field" }
                })?
            }
        },
        FieldMode::Len(name) => quote! {
            {
                let n = r.lens().#name;
                ::marmalade_codec::decode_fixed_seq(r, n)?
            }
        },
        FieldMode::With(path) => quote! { #path::decode(r)? },
    }
}

/// Encoding and decoding of one `Fields` set, as a pattern binding `f0, f1, ...`.
struct FieldsCode {
    pattern: TokenStream2,
    encode: TokenStream2,
    construct: TokenStream2,
}

fn fields_code(fields: &Fields) -> syn::Result<FieldsCode> {
    let mut encode = TokenStream2::new();
    let mut decoders = Vec::new();
    let mut binds = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let mode = field_mode(f)?;
        let bind = format_ident!("f{}", i);
        encode.extend(encode_field(quote!(#bind), &mode));
        decoders.push(decode_field(&mode));
        binds.push(bind);
    }
    let (pattern, construct) = match fields {
        Fields::Named(named) => {
            let names: Vec<_> = named.named.iter().map(|f| f.ident.clone()).collect();
            (
                quote! { { #(#names: #binds),* } },
                quote! { { #(#names: #decoders),* } },
            )
        }
        Fields::Unnamed(_) => (quote! { ( #(#binds),* ) }, quote! { ( #(#decoders),* ) }),
        Fields::Unit => (quote! {}, quote! {}),
    };
    Ok(FieldsCode {
        pattern,
        encode,
        construct,
    })
}

/// Derives `marmalade_codec::Encode`.
#[proc_macro_derive(Encode, attributes(codec))]
pub fn derive_encode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_encode(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `marmalade_codec::Decode`.
#[proc_macro_derive(Decode, attributes(codec))]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_decode(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand_encode(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let generics = add_bound(&input.generics, quote!(::marmalade_codec::Encode));
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(s) => {
            let c = fields_code(&s.fields)?;
            let pattern = &c.pattern;
            let encode = &c.encode;
            quote! {
                #[allow(unused_variables)]
                let #name #pattern = self;
                #encode
            }
        }
        Data::Enum(e) => {
            let mut arms = TokenStream2::new();
            for (i, v) in e.variants.iter().enumerate() {
                let idx = variant_index(&v.attrs, i)?;
                let vname = &v.ident;
                let c = fields_code(&v.fields)?;
                let pattern = &c.pattern;
                let encode = &c.encode;
                arms.extend(quote! {
                    #name::#vname #pattern => { out.push(#idx); #encode }
                });
            }
            quote! {
                #[allow(unused_variables)]
                match self { #arms }
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new_spanned(
                u.union_token,
                "unions have no JAM encoding",
            ))
        }
    };
    Ok(quote! {
        impl #impl_g ::marmalade_codec::Encode for #name #ty_g #where_c {
            fn encode_to(&self, out: &mut ::std::vec::Vec<u8>) { #body }
        }
    })
}

fn expand_decode(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let generics = add_bound(&input.generics, quote!(::marmalade_codec::Decode));
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(s) => {
            let c = fields_code(&s.fields)?;
            let construct = &c.construct;
            quote! { Ok(#name #construct) }
        }
        Data::Enum(e) => {
            let mut arms = TokenStream2::new();
            for (i, v) in e.variants.iter().enumerate() {
                let idx = variant_index(&v.attrs, i)?;
                let vname = &v.ident;
                let c = fields_code(&v.fields)?;
                let construct = &c.construct;
                arms.extend(quote! { #idx => Ok(#name::#vname #construct), });
            }
            let ty = name.to_string();
            quote! {
                match r.byte()? {
                    #arms
                    tag => Err(::marmalade_codec::Error::InvalidTag { ty: #ty, tag }),
                }
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new_spanned(
                u.union_token,
                "unions have no JAM encoding",
            ))
        }
    };
    Ok(quote! {
        impl #impl_g ::marmalade_codec::Decode for #name #ty_g #where_c {
            fn decode(r: &mut ::marmalade_codec::Reader<'_>) -> ::marmalade_codec::Result<Self> {
                #body
            }
        }
    })
}
