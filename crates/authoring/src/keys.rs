//! Validator secret keys and their derivation from a seed (JIP-5).

use marmalade_crypto::bandersnatch;
use marmalade_crypto::ed25519;
use marmalade_crypto::hash::blake2b_256_concat;
use marmalade_types::{BandersnatchPublic, Ed25519Public};

/// JIP-5's context for the Ed25519 secret seed.
const ED25519_CONTEXT: &[u8] = b"jam_val_key_ed25519";
/// JIP-5's context for the Bandersnatch secret seed.
const BANDERSNATCH_CONTEXT: &[u8] = b"jam_val_key_bandersnatch";

/// The secret keys a validator signs with: Bandersnatch for the seal, the entropy source and
/// tickets (GP section 6), Ed25519 for guarantees, assurances and judgments (GP sections 10,
/// 11). (The BLS key is for BEEFY, which no block carries.)
#[derive(Clone, Debug)]
pub struct ValidatorKeys {
    /// The Bandersnatch secret, whose public key is $k_b$ (GP (6.9)).
    pub bandersnatch: bandersnatch::SecretKey,
    /// The Ed25519 secret, whose public key is $k_e$ (GP (6.10)).
    pub ed25519: ed25519::SecretKey,
}

impl ValidatorKeys {
    /// JIP-5: the keys of the 32-byte seed `seed`,
    /// `ed25519_secret_seed = blake2b("jam_val_key_ed25519" ++ seed)` and
    /// `bandersnatch_secret_seed = blake2b("jam_val_key_bandersnatch" ++ seed)`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let ed = blake2b_256_concat(&[ED25519_CONTEXT, seed]);
        let bs = blake2b_256_concat(&[BANDERSNATCH_CONTEXT, seed]);
        ValidatorKeys {
            bandersnatch: bandersnatch::SecretKey::from_seed(&bs),
            ed25519: ed25519::SecretKey::from_seed(&ed),
        }
    }

    /// $k_b$: the Bandersnatch public key.
    pub fn bandersnatch_public(&self) -> BandersnatchPublic {
        self.bandersnatch.public()
    }

    /// $k_e$: the Ed25519 public key.
    pub fn ed25519_public(&self) -> Ed25519Public {
        self.ed25519.public()
    }
}

/// JIP-5 `trivial_seed(i)`: `encode_as_32bit_le(i)` repeated 8 times. For tests only.
pub fn trivial_seed(i: u32) -> [u8; 32] {
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_exact_mut(4) {
        chunk.copy_from_slice(&i.to_le_bytes());
    }
    seed
}

/// The development keys of validator `i`: the JIP-5 keys of `trivial_seed(i)`. The trace
/// vectors' genesis validators and typeberry's `dev` chain hold these.
pub fn dev_keys(i: u32) -> ValidatorKeys {
    ValidatorKeys::from_seed(&trivial_seed(i))
}

/// The development keys of validators `0..n` ([`dev_keys`]): a dev chain's validator set of `n`
/// (the trace vectors' tiny genesis has `n` = 6).
pub fn dev_key_set(n: usize) -> Vec<ValidatorKeys> {
    // Validator indices are 16-bit (GP (5.1)'s `N_V`): the cast never truncates a real set.
    (0..n).map(|i| dev_keys(i as u32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// The test vectors of JIP-5: seed, Ed25519 secret seed and public key, Bandersnatch
    /// secret seed and public key.
    const VECTORS: [(&str, &str, &str, &str, &str); 7] = [
        (
            "0000000000000000000000000000000000000000000000000000000000000000",
            "996542becdf1e78278dc795679c825faca2e9ed2bf101bf3c4a236d3ed79cf59",
            "4418fb8c85bb3985394a8c2756d3643457ce614546202a2f50b093d762499ace",
            "007596986419e027e65499cc87027a236bf4a78b5e8bd7f675759d73e7a9c799",
            "ff71c6c03ff88adb5ed52c9681de1629a54e702fc14729f6b50d2f0a76f185b3",
        ),
        (
            "0100000001000000010000000100000001000000010000000100000001000000",
            "b81e308145d97464d2bc92d35d227a9e62241a16451af6da5053e309be4f91d7",
            "ad93247bd01307550ec7acd757ce6fb805fcf73db364063265b30a949e90d933",
            "12ca375c9242101c99ad5fafe8997411f112ae10e0e5b7c4589e107c433700ac",
            "dee6d555b82024f1ccf8a1e37e60fa60fd40b1958c4bb3006af78647950e1b91",
        ),
        (
            "0200000002000000020000000200000002000000020000000200000002000000",
            "0093c8c10a88ebbc99b35b72897a26d259313ee9bad97436a437d2e43aaafa0f",
            "cab2b9ff25c2410fbe9b8a717abb298c716a03983c98ceb4def2087500b8e341",
            "3d71dc0ffd02d90524fda3e4a220e7ec514a258c59457d3077ce4d4f003fd98a",
            "9326edb21e5541717fde24ec085000b28709847b8aab1ac51f84e94b37ca1b66",
        ),
        (
            "0300000003000000030000000300000003000000030000000300000003000000",
            "69b3a7031787e12bfbdcac1b7a737b3e5a9f9450c37e215f6d3b57730e21001a",
            "f30aa5444688b3cab47697b37d5cac5707bb3289e986b19b17db437206931a8d",
            "107a9148b39a1099eeaee13ac0e3c6b9c256258b51c967747af0f8749398a276",
            "0746846d17469fb2f95ef365efcab9f4e22fa1feb53111c995376be8019981cc",
        ),
        (
            "0400000004000000040000000400000004000000040000000400000004000000",
            "b4de9ebf8db5428930baa5a98d26679ab2a03eae7c791d582e6b75b7f018d0d4",
            "8b8c5d436f92ecf605421e873a99ec528761eb52a88a2f9a057b3b3003e6f32a",
            "0bb36f5ba8e3ba602781bb714e67182410440ce18aa800c4cb4dd22525b70409",
            "151e5c8fe2b9d8a606966a79edd2f9e5db47e83947ce368ccba53bf6ba20a40b",
        ),
        (
            "0500000005000000050000000500000005000000050000000500000005000000",
            "4a6482f8f479e3ba2b845f8cef284f4b3208ba3241ed82caa1b5ce9fc6281730",
            "ab0084d01534b31c1dd87c81645fd762482a90027754041ca1b56133d0466c06",
            "75e73b8364bf4753c5802021c6aa6548cddb63fe668e3cacf7b48cdb6824bb09",
            "2105650944fcd101621fd5bb3124c9fd191d114b7ad936c1d79d734f9f21392e",
        ),
        (
            "f92d680ea3f0ac06307795490d8a03c5c0d4572b5e0a8cffec87e1294855d9d1",
            "f21e2d96a51387f9a7e5b90203654913dde7fa1044e3eba5631ed19f327d6126",
            "11a695f674de95ff3daaff9a5b88c18448b10156bf88bc04200e48d5155c7243",
            "06154d857537a9b622a9a94b1aeee7d588db912bfc914a8a9707148bfba3b9d1",
            "299bdfd8d615aadd9e6c58718f9893a5144d60e897bc9da1f3d73c935715c650",
        ),
    ];

    #[test]
    fn jip5_vectors() {
        for (i, (seed, ed_seed, ed_pub, bs_seed, bs_pub)) in VECTORS.iter().enumerate() {
            let seed = hex32(seed);
            if i < 6 {
                assert_eq!(seed, trivial_seed(i as u32), "trivial_seed({i})");
            }
            assert_eq!(
                blake2b_256_concat(&[ED25519_CONTEXT, &seed]),
                hex32(ed_seed),
                "ed25519 seed {i}"
            );
            assert_eq!(
                blake2b_256_concat(&[BANDERSNATCH_CONTEXT, &seed]),
                hex32(bs_seed),
                "bandersnatch seed {i}"
            );
            let keys = ValidatorKeys::from_seed(&seed);
            assert_eq!(keys.ed25519_public(), hex32(ed_pub), "ed25519 public {i}");
            assert_eq!(
                keys.bandersnatch_public(),
                hex32(bs_pub),
                "bandersnatch public {i}"
            );
        }
    }

    #[test]
    fn dev_keys_are_trivial_seed_keys() {
        let k = dev_keys(3);
        assert_eq!(
            k.ed25519_public(),
            hex32("f30aa5444688b3cab47697b37d5cac5707bb3289e986b19b17db437206931a8d")
        );
        assert_ne!(dev_keys(3).ed25519_public(), dev_keys(4).ed25519_public());
    }
}
