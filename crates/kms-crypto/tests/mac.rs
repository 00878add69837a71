//! The HMAC contract: the RFC 4231 test vectors for all four algorithms, verification of every
//! change, and the key lengths of imported HMAC material.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use kms_crypto::mac::{hmac_key_lengths, mac, verify_mac, MacAlgorithm};

/// One RFC 4231 test case: the key, the data and the HMAC-SHA-224, -256, -384 and -512 in hex.
struct Vector {
    /// The RFC's number for the case.
    case: u32,
    /// The key.
    key: Vec<u8>,
    /// The data.
    data: Vec<u8>,
    /// The expected MACs, in the order of [`MacAlgorithm::ALL`].
    macs: [&'static str; 4],
}

/// RFC 4231 §4.2, 4.3, 4.4 and 4.7 (cases 1, 2, 3 and 6; case 5 is about truncation, which KMS
/// does not do).
fn vectors() -> Vec<Vector> {
    vec![
        Vector {
            case: 1,
            key: vec![0x0b; 20],
            data: b"Hi There".to_vec(),
            macs: [
                "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c\
                 faea9ea9076ede7f4af152e8b2fa9cb6",
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
                 daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            ],
        },
        Vector {
            case: 2,
            key: b"Jefe".to_vec(),
            data: b"what do ya want for nothing?".to_vec(),
            macs: [
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                 8e2240ca5e69e2c78b3239ecfab21649",
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ],
        },
        Vector {
            case: 3,
            key: vec![0xaa; 20],
            data: vec![0xdd; 50],
            macs: [
                "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b\
                 2a5ab39dc13814b94e3ab6e101a34f27",
                "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39\
                 bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
            ],
        },
        Vector {
            case: 6,
            key: vec![0xaa; 131],
            data: b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            macs: [
                "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
                 0c2ef6ab4030fe8296248df163f44952",
                "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
                 6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
            ],
        },
    ]
}

#[test]
fn the_rfc_4231_vectors_hold_for_every_algorithm() {
    for vector in vectors() {
        for (alg, expected) in MacAlgorithm::ALL.into_iter().zip(vector.macs) {
            let tag = mac(alg, &vector.key, &vector.data);
            assert_eq!(hex::encode(&tag), expected, "case {} {alg:?}", vector.case);
            assert_eq!(tag.len(), alg.mac_len());
            assert!(verify_mac(alg, &vector.key, &vector.data, &tag));
        }
    }
}

#[test]
fn every_change_fails_verification() {
    for vector in vectors() {
        for alg in MacAlgorithm::ALL {
            let tag = mac(alg, &vector.key, &vector.data);
            for index in [0, tag.len() / 2, tag.len() - 1] {
                let mut changed = tag.clone();
                changed[index] ^= 0x80;
                assert!(!verify_mac(alg, &vector.key, &vector.data, &changed));
            }
            assert!(!verify_mac(
                alg,
                &vector.key,
                &vector.data,
                &tag[..tag.len() - 1]
            ));
            assert!(!verify_mac(
                alg,
                &vector.key,
                &vector.data,
                &[tag.clone(), vec![0]].concat()
            ));
            assert!(!verify_mac(alg, &vector.key, &vector.data, &[]));
            let mut other_key = vector.key.clone();
            other_key[0] ^= 1;
            assert!(!verify_mac(alg, &other_key, &vector.data, &tag));
            assert!(!verify_mac(alg, &vector.key, b"other data", &tag));
        }
    }
}

#[test]
fn algorithms_have_their_wire_names_and_key_lengths() {
    let names: Vec<&str> = MacAlgorithm::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "HMAC_SHA_224",
            "HMAC_SHA_256",
            "HMAC_SHA_384",
            "HMAC_SHA_512"
        ]
    );
    assert_eq!(
        MacAlgorithm::parse("HMAC_SHA_384"),
        Some(MacAlgorithm::HmacSha384)
    );
    assert_eq!(MacAlgorithm::parse("HMAC_384"), None);
    let lengths: Vec<_> = [224, 256, 384, 512]
        .into_iter()
        .map(hmac_key_lengths)
        .collect();
    assert_eq!(
        lengths,
        [
            Some((28, 64)),
            Some((32, 64)),
            Some((48, 128)),
            Some((64, 128))
        ]
    );
    assert_eq!(hmac_key_lengths(128), None);
}

#[test]
fn an_empty_key_and_message_still_mac() {
    for alg in MacAlgorithm::ALL {
        let tag = mac(alg, &[], &[]);
        assert_eq!(tag.len(), alg.mac_len());
        assert!(verify_mac(alg, &[], &[], &tag));
    }
}
