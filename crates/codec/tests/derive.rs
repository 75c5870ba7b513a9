use marmalade_codec::{decode_all, Decode, Encode, Error, SeqLens};

#[derive(Debug, PartialEq, Encode, Decode)]
struct Inner {
    a: u16,
    #[codec(compact)]
    b: u32,
}

#[derive(Debug, PartialEq, Encode, Decode)]
struct Outer {
    inner: Inner,
    items: Vec<u8>,
    #[codec(len = cores)]
    per_core: Vec<u32>,
    opt: Option<Inner>,
}

#[derive(Debug, PartialEq, Encode, Decode)]
enum Choice {
    A,
    B(u8),
    #[codec(index = 5)]
    C {
        x: u32,
    },
}

#[test]
fn struct_roundtrip_and_layout() {
    let v = Outer {
        inner: Inner { a: 1, b: 200 },
        items: vec![7, 8],
        per_core: vec![1, 2],
        opt: None,
    };
    let b = v.encode();
    assert_eq!(b, vec![1, 0, 0x80, 200, 2, 7, 8, 1, 0, 0, 0, 2, 0, 0, 0, 0]);
    assert_eq!(decode_all::<Outer>(&b, SeqLens::TINY), Ok(v));
    // With a config of more cores the same bytes are too short.
    assert!(decode_all::<Outer>(&b, SeqLens::FULL).is_err());
}

#[test]
fn enum_tags() {
    assert_eq!(Choice::A.encode(), vec![0]);
    assert_eq!(Choice::B(9).encode(), vec![1, 9]);
    assert_eq!(Choice::C { x: 1 }.encode(), vec![5, 1, 0, 0, 0]);
    assert_eq!(
        decode_all::<Choice>(&[5, 1, 0, 0, 0], SeqLens::TINY),
        Ok(Choice::C { x: 1 })
    );
    assert_eq!(
        decode_all::<Choice>(&[2], SeqLens::TINY),
        Err(Error::InvalidTag {
            ty: "Choice",
            tag: 2
        })
    );
}
