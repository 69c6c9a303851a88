//! Folding, keys, building, lookups, mentions, sharding and serialization of the value index.

use super::*;

fn index(columns: &[(&str, &str, &[&str])], limit: usize) -> ValueIndex {
    let mut builder = ValueIndexBuilder::new(limit);
    for (table, column, values) in columns {
        builder.begin_column(table, column);
        for value in *values {
            builder.offer(value);
        }
        builder.end_column();
    }
    builder.finish()
}

fn found(index: &ValueIndex, text: &str) -> Vec<String> {
    index.lookup(text).into_iter().map(|v| format!("{}.{}={}", v.table, v.column, v.value)).collect()
}

#[test]
fn folding_lowers_case_and_strips_accents() {
    assert_eq!(fold("São Paulo"), "sao paulo");
    assert_eq!(fold("BEYONCÉ"), "beyonce");
    assert_eq!(fold("Motörhead"), "motorhead");
    assert_eq!(fold("Straße Øresund Łódź Æther"), "strasse oresund lodz aether");
    assert_eq!(fold("İstanbul"), "istanbul");
    assert_eq!(fold("e\u{0301}te\u{0301}"), "ete");
    assert_eq!(fold("ﬁn Ｆｕｌｌ"), "fin full");
    assert_eq!(fold("AC/DC"), "ac/dc");
    assert_eq!(fold("東京"), "東京");
}

#[test]
fn keys_are_folded_alphanumeric_runs_joined_by_one_space() {
    assert_eq!(value_key("AC/DC"), "ac dc");
    assert_eq!(value_key("  Guns N' Roses "), "guns n roses");
    assert_eq!(value_key("New South Wales"), "new south wales");
    assert_eq!(value_key("São Paulo"), "sao paulo");
    assert_eq!(value_key("Symphony No. 5, Op. 67"), "symphony no 5 op 67");
    assert_eq!(value_key("...!"), "");
    for text in ["AC/DC", "Crosby, Stills & Nash", "Ólafur Arnalds", "ß-Bahn"] {
        assert_eq!(value_key(&value_key(text)), value_key(text), "{text}");
    }
}

#[test]
fn key_words_carry_their_span_in_the_original_text() {
    let text = "albums by Motörhead, ok?";
    let words = key_words(text);
    let spelled: Vec<&str> = words.iter().map(|w| w.word.as_str()).collect();
    assert_eq!(spelled, ["albums", "by", "motorhead", "ok"]);
    assert_eq!(&text[words[2].span.clone()], "Motörhead");
    assert_eq!(words.iter().map(|w| w.word.clone()).collect::<Vec<_>>().join(" "), value_key(text));
}

#[test]
fn multi_word_upper_case_and_accented_values_are_found_exactly() {
    let index = index(
        &[
            ("Artist", "Name", &["Jimi Hendrix", "AC/DC", "Motörhead"]),
            ("Customer", "State", &["NEW SOUTH WALES", "SP"]),
            ("Customer", "City", &["São Paulo"]),
        ],
        100,
    );
    assert_eq!(found(&index, "jimi hendrix"), ["Artist.Name=Jimi Hendrix"]);
    assert_eq!(found(&index, "Jimi  HENDRIX"), ["Artist.Name=Jimi Hendrix"]);
    assert_eq!(found(&index, "ac dc"), ["Artist.Name=AC/DC"]);
    assert_eq!(found(&index, "Motorhead"), ["Artist.Name=Motörhead"]);
    assert_eq!(found(&index, "New South Wales"), ["Customer.State=NEW SOUTH WALES"]);
    assert_eq!(found(&index, "SAO PAULO"), ["Customer.City=São Paulo"]);
    assert_eq!(index.max_words(), 3);
    assert_eq!(index.len(), 6);
}

#[test]
fn only_exact_keys_match() {
    let index = index(&[("Artist", "Name", &["Jimi Hendrix", "Jimi"])], 100);
    for miss in ["Jimi Hendrx", "Jimi Hendrix Experience", "Hendrix", "jim", "imi hendrix", ""] {
        assert!(index.lookup(miss).is_empty(), "{miss}");
    }
    assert_eq!(found(&index, "JIMI"), ["Artist.Name=Jimi"]);
}

#[test]
fn one_key_returns_every_value_and_column_that_shares_it() {
    let index = index(
        &[
            ("Artist", "Name", &["Queen", "QUEEN"]),
            ("Album", "Title", &["Queen", "Greatest Hits"]),
            ("Track", "Name", &["queen"]),
        ],
        100,
    );
    assert_eq!(
        found(&index, "queen"),
        ["Album.Title=Queen", "Artist.Name=QUEEN", "Artist.Name=Queen", "Track.Name=queen"]
    );
    assert_eq!(index.columns().iter().map(|c| c.values).collect::<Vec<_>>(), [2, 2, 1]);
}

#[test]
fn values_that_are_not_names_are_not_indexed() {
    let long = "x".repeat(MAX_VALUE_CHARS + 1);
    let many_words = vec!["w"; MAX_VALUE_WORDS + 1].join(" ");
    let index = index(
        &[(
            "T",
            "C",
            &["a@b.com", "https://x.org", "www.example.com", "12345", "2009-01-01", &long, &many_words, " ", "Kept"],
        )],
        100,
    );
    assert_eq!(index.len(), 1);
    assert_eq!(found(&index, "kept"), ["T.C=Kept"]);
    assert!(index.lookup("12345").is_empty() && index.lookup("a b com").is_empty());
}

#[test]
fn repeated_values_count_once() {
    let mut builder = ValueIndexBuilder::new(2);
    builder.begin_column("T", "C");
    for value in ["Rock", "Jazz", "Rock", "Jazz", "Rock"] {
        assert!(builder.offer(value), "{value}");
    }
    assert_eq!(builder.end_column(), ColumnOutcome::Indexed(2));
    assert_eq!(builder.finish().len(), 2);
}

#[test]
fn a_restarted_column_forgets_what_it_offered() {
    let mut builder = ValueIndexBuilder::new(2);
    builder.begin_column("T", "C");
    assert!(builder.offer("Half") && builder.offer("Read"));
    builder.restart_column();
    assert!(builder.offer("Read"), "the room is whole again");
    assert_eq!(builder.end_column(), ColumnOutcome::Indexed(1));
    let index = builder.finish();
    assert!(index.lookup("half").is_empty());
    assert_eq!(found(&index, "read"), ["T.C=Read"]);
}

#[test]
fn free_text_columns_are_left_out() {
    let prose = "a sentence long enough to be a description of something rather than its name ok";
    assert!(prose.len() > MAX_MEAN_VALUE_CHARS && prose.len() <= MAX_VALUE_CHARS);
    let mut builder = ValueIndexBuilder::new(100);
    builder.begin_column("T", "Description");
    builder.offer(prose);
    builder.offer(prose.trim_end_matches(" ok"));
    assert_eq!(builder.end_column(), ColumnOutcome::FreeText);
    builder.begin_column("T", "Name");
    builder.offer("Short");
    assert_eq!(builder.end_column(), ColumnOutcome::Indexed(1));
    builder.begin_column("T", "Codes");
    builder.offer("123");
    assert_eq!(builder.end_column(), ColumnOutcome::Empty);
    let index = builder.finish();
    assert_eq!(index.columns().len(), 1);
    assert!(index.lookup(prose).is_empty());
}

#[test]
fn the_limit_leaves_out_whole_columns_that_do_not_fit() {
    let mut builder = ValueIndexBuilder::new(4);
    builder.begin_column("A", "small");
    assert!(builder.offer("One") && builder.offer("Two"));
    assert_eq!(builder.end_column(), ColumnOutcome::Indexed(2));
    assert_eq!(builder.room(), 2);
    builder.begin_column("B", "big");
    assert!(builder.offer("Three") && builder.offer("Four"));
    assert!(!builder.offer("Five"), "a third value does not fit");
    assert_eq!(builder.end_column(), ColumnOutcome::TooMany);
    builder.begin_column("C", "fits");
    assert!(builder.offer("Six") && builder.offer("Seven"));
    assert_eq!(builder.end_column(), ColumnOutcome::Indexed(2));
    let index = builder.finish();
    assert_eq!(index.len(), 4);
    assert!(index.lookup("three").is_empty(), "nothing of the column left out");
    assert_eq!(found(&index, "seven"), ["C.fits=Seven"]);
    assert_eq!(index.limit(), 4);
}

#[test]
fn mentions_are_runs_of_question_words_that_are_exact_keys() {
    let index = index(
        &[
            ("Artist", "Name", &["Jimi Hendrix", "Queen", "Guns N' Roses"]),
            ("City", "Name", &["New York", "New York City", "York"]),
        ],
        100,
    );
    let question = "Albums by Jimi Hendrix or GUNS N ROSES sold in New York City?";
    let mentions = index.find_mentions(question);
    let spans: Vec<(&str, &str)> = mentions.iter().map(|m| (&question[m.span.clone()], m.key.as_str())).collect();
    assert_eq!(
        spans,
        [
            ("Jimi Hendrix", "jimi hendrix"),
            ("GUNS N ROSES", "guns n roses"),
            ("New York", "new york"),
            ("New York City", "new york city"),
            ("York", "york"),
        ]
    );
    assert_eq!(mentions[0].values[0].value, "Jimi Hendrix");
    assert_eq!(mentions[0].words, 2..4);
    assert!(index.find_mentions("albums by Jimi Hendrx").is_empty());
    assert!(ValueIndex::default().find_mentions(question).is_empty());
}

#[test]
fn the_index_round_trips_through_bytes_and_refuses_damage() {
    let index = index(&[("Artist", "Name", &["Jimi Hendrix", "AC/DC"]), ("Genre", "Name", &["Rock"])], 10);
    let bytes = index.to_bytes();
    let back = ValueIndex::from_bytes(&bytes).unwrap();
    assert_eq!(back, index);
    assert_eq!(found(&back, "ac dc"), ["Artist.Name=AC/DC"]);
    assert_eq!((back.max_words(), back.limit(), back.columns().len()), (2, 10, 2));
    assert!(matches!(ValueIndex::from_bytes(&bytes[..bytes.len() - 1]), Err(ValueIndexError::Truncated)));
    assert!(matches!(ValueIndex::from_bytes(b"nope"), Err(ValueIndexError::BadHeader)));
    let in_fst = bytes.len() - index.postings.len() - 8 - 6;
    let mut flipped = bytes.clone();
    flipped[in_fst] ^= 0xFF;
    assert!(ValueIndex::from_bytes(&flipped).is_err(), "the FST checksum catches it");
    for at in bytes.len() - index.postings.len()..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0xFF;
        let read = ValueIndex::from_bytes(&damaged).unwrap();
        for text in ["jimi hendrix", "ac dc", "rock"] {
            read.lookup(text);
        }
    }
    let empty = ValueIndex::default();
    assert_eq!(ValueIndex::from_bytes(&empty.to_bytes()).unwrap(), empty);
}

#[test]
fn a_sharded_index_finds_what_one_fst_finds() {
    let names: Vec<String> = (0..3_000).map(|i| format!("Name{} Person{}", i % 977, i)).collect();
    let build = |shard_keys: usize| {
        let mut builder = ValueIndexBuilder::new(10_000);
        builder.begin_column("person", "name");
        for name in &names {
            builder.offer(name);
        }
        builder.end_column();
        builder.finish_in_shards_of(shard_keys)
    };
    let (whole, sharded) = (build(usize::MAX), build(100));
    assert_eq!(whole.maps.len(), 1);
    assert!(sharded.maps.len() > 1 || std::thread::available_parallelism().map_or(1, |n| n.get()) == 1);
    assert_eq!(sharded.keys(), whole.keys());
    for probe in ["name5 person5", "NAME976 PERSON2929", "name1 person2", "nobody"] {
        assert_eq!(sharded.lookup(probe), whole.lookup(probe), "{probe}");
    }
    let question = "orders of Name3 Person3 and name9 person2940 or Name999 Person1";
    let spans = |index: &ValueIndex| -> Vec<String> {
        index.find_mentions(question).into_iter().map(|m| format!("{:?} {}", m.words, m.key)).collect()
    };
    assert_eq!(spans(&sharded), spans(&whole));
    assert_eq!(spans(&whole).len(), 2, "{:?}", spans(&whole));
    let reread = ValueIndex::from_bytes(&sharded.to_bytes()).unwrap();
    assert_eq!(reread, sharded);
    assert_eq!(reread.lookup("name5 person5"), whole.lookup("name5 person5"));
}
