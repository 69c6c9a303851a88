//! The built-in English vocabulary of the offline synthesizer: function words,
//! question keywords, generic business synonyms and the measure concepts
//! (money, price, duration, size) that column names are recognised by.
//!
//! Invariants: everything here is generic business English. No table or column
//! name of any particular database appears in this file; schema names are only
//! ever learned from the introspected schema and the per-source glossary.
//! Single words are lower case; stems are compared through [`super::tokens::stem`].

/// Words that carry no meaning for the query (articles, pronouns, auxiliaries,
/// politeness, generic nouns like "database"). They are looked up only after
/// the schema failed to match a word, so a table named `records` still links.
pub(crate) const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "yet",
    "being",
    "am",
    "do",
    "does",
    "did",
    "done",
    "come",
    "comes",
    "came",
    "there",
    "here",
    "who",
    "whom",
    "whose",
    "how",
    "me",
    "my",
    "our",
    "ours",
    "we",
    "i",
    "you",
    "your",
    "please",
    "can",
    "could",
    "would",
    "should",
    "will",
    "shall",
    "might",
    "must",
    "it",
    "its",
    "they",
    "them",
    "their",
    "theirs",
    "that",
    "these",
    "those",
    "of",
    "in",
    "on",
    "at",
    "for",
    "into",
    "within",
    "about",
    "as",
    "all",
    "any",
    "also",
    "just",
    "currently",
    "overall",
    "altogether",
    "together",
    "respectively",
    "database",
    "db",
    "data",
    "dataset",
    "catalog",
    "catalogue",
    "system",
    "exist",
    "exists",
    "existing",
    "live",
    "lives",
    "living",
    "located",
    "based",
    "come",
    "comes",
    "belong",
    "belongs",
    "appear",
    "appears",
    "appeared",
    // "actors who starred in the most films": the link between people and works says how.
    "star",
    "starred",
    "starring",
    "acted",
    "featured",
    // "rentals handled by each staff member": the relation the foreign key already says.
    "handled",
    "processed",
    "made",
    "issued",
    "listed",
    "recorded",
    "registered",
    "stored",
    "generated",
    "whole",
    "entire",
    "s",
    "kindly",
    "tell",
    "return",
    "retrieve",
    "fetch",
    "provide",
    "see",
    "know",
    "want",
    "need",
    "let",
    "like",
    "along",
    "including",
    "so",
    "far",
    "ever",
    "whether",
    "than",
    "this",
    "placed",
    "place",
    "work",
    "works",
    "worked",
    "working",
    "receive",
    "received",
    "receives",
    "hold",
    "holds",
    "make",
    "makes",
    "generate",
    "generates",
    "produce",
    "produces",
    "bring",
    "brings",
    "brought",
    // "courses each department offers", "playlists that contain the most tracks": the foreign key says how.
    "offer",
    "offers",
    "offered",
    "contain",
    "contains",
    "contained",
    "include",
    "includes",
    "included",
    "anything",
    "something",
    "anyone",
    "someone",
    "anybody",
    "somebody",
    "still",
    "among",
    // Currencies after an amount ("more than 45 dollars"): the amount is the number.
    "dollar",
    "dollars",
    "usd",
    "euro",
    "euros",
    "eur",
];

/// Words that, as the first word of a question, ask to change data.
pub(crate) const WRITE_VERBS: &[&str] = &[
    "delete",
    "remove",
    "update",
    "insert",
    "drop",
    "truncate",
    "alter",
    "create",
    "modify",
    "change",
    "set",
    "add",
    "rename",
    "replace",
    "erase",
    "purge",
    "grant",
    "revoke",
    "merge",
    "upsert",
    "wipe",
    "clear",
    "edit",
    "overwrite",
    "increase",
    "decrease",
    "raise",
    "mark",
    "cancel",
    "reset",
    "approve",
    "assign",
    "transfer",
];

/// Write verbs so unambiguous that they refuse the question wherever they appear.
pub(crate) const WRITE_VERBS_ANYWHERE: &[&str] = &["delete", "truncate", "drop", "insert", "update", "upsert"];

/// Polite openers skipped when looking for an imperative first word.
/// Verbs whose event a table of one of these names records; irregular and
/// common ones only (a past participle that begins a table's name, such as
/// "rented" for `rental`, links without being listed).
pub(crate) const EVENT_VERBS: &[(&[&str], &[&str])] = &[
    (
        &["bought", "buy", "buys", "purchased", "purchase", "ordered", "spent"],
        &["order", "invoice", "purchase", "sale", "transaction"],
    ),
    (&["sold", "sell", "sells", "selling"], &["sale", "order", "invoice", "line", "item"]),
    (
        &["borrowed", "borrow", "borrows", "lent", "loaned", "checked"],
        &["loan", "rental", "borrowing", "checkout", "lending"],
    ),
    (&["rented", "rent", "rents", "hired"], &["rental", "rent", "loan", "hire"]),
    (&["paid", "pay", "pays"], &["payment"]),
    (&["charged", "charge", "charges"], &["payment", "charge", "invoice"]),
    (&["shipped", "ship", "delivered"], &["shipment", "delivery"]),
    (&["enrolled", "enroll", "enrol", "registered"], &["enrollment", "enrolment", "registration"]),
    (&["visited", "visit"], &["visit", "appointment"]),
    (&["booked", "book"], &["booking", "reservation", "appointment"]),
    (&["wrote", "written", "write", "writes", "authored"], &["author"]),
];

/// Past participles that do not end in "-ed", for "unpaid", "unsold", "unsent".
pub(crate) const IRREGULAR_PARTICIPLES: &[&str] =
    &["paid", "sold", "sent", "lent", "spent", "built", "made", "done", "written", "shown", "given", "taken", "held"];

pub(crate) const OPENERS: &[&str] =
    &["please", "can", "could", "would", "you", "kindly", "i", "want", "to", "need", "we"];

/// Words that negate; the offline synthesizer does not answer negated questions.
pub(crate) const NEGATIONS: &[&str] =
    &["not", "no", "never", "without", "except", "excluding", "none", "neither", "nor", "nobody", "nothing"];

/// Words for dates relative to today, which depend on when the question runs.
pub(crate) const RELATIVE_TIME: &[&str] = &["today", "yesterday", "tomorrow", "ago", "recent", "recently"];

/// Words that make a date relative when a period or a number follows ("last year", "past 3 months").
pub(crate) const RELATIVE_TIME_MODIFIERS: &[&str] = &["last", "this", "next", "previous", "current", "past", "coming"];

/// Periods that follow a relative-time modifier.
pub(crate) const PERIODS: &[&str] =
    &["year", "years", "month", "months", "week", "weeks", "day", "days", "quarter", "quarters", "decade"];

/// Month names (full names only: "may" and "march" are common words).
pub(crate) const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A unit of calendar time for dates relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DateUnit {
    Day,
    Month,
    Year,
}

/// Dates relative to today, from `from` units back (negative) to `until`
/// (exclusive; `None`: no end). `calendar`: counted from the start of the
/// current unit ("last month": the whole previous month); otherwise from
/// today ("in the last 30 days": today minus 30 days onwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RelativeSpan {
    pub unit: DateUnit,
    pub from: i32,
    pub until: Option<i32>,
    pub calendar: bool,
}

/// A question keyword: a word or phrase with a structural meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// "how many", "number of", "count"
    Count,
    /// "how much": an amount, summed
    HowMuch,
    Sum,
    Avg,
    Min,
    Max,
    /// "top" (descending) or "bottom" (ascending)
    Top {
        descending: bool,
    },
    /// "per", "for each", "in each", "every"
    Per,
    /// "by": a grouping, or the ranking measure after a top-N
    By,
    /// "sorted by", "ordered by"
    OrderBy,
    /// "sorted", "ordered" without "by" ("sorted alphabetically")
    Sorted,
    Ascending,
    Descending,
    Alphabetically,
    Distinct,
    /// "which" / "what": asks for entities or values
    Which,
    /// "list", "show", "give me": asks for rows
    List,
    Compare(CompareOp),
    /// "N or more" / "N or less" (comes after the number)
    OrMore,
    OrLess,
    Between,
    And,
    Or,
    /// "from", "to" in "from 2021 to 2022"
    From,
    To,
    Since,
    After,
    Before,
    /// "have", "has", "with", "having"
    Have,
    /// "named", "called", "titled"
    Named,
    Year,
    Month,
    Yearly,
    Monthly,
    /// "longest", "most expensive": order by a concept
    Superlative {
        concept: Concept,
        descending: bool,
    },
    /// "longer than", "cheaper than": compare a concept
    Comparative {
        concept: Concept,
        op: CompareOp,
    },
    Negation,
    /// "what share / percentage of ...": a part over its whole; `percent` scales by 100.
    Share {
        percent: bool,
    },
    /// A relative date phrase this reader cannot answer ("next week", "ago").
    RelativeTime,
    /// "yesterday", "last month", "in the last 30 days": dates counted from today.
    Relative(RelativeSpan),
    Write,
    /// "change", "difference": one period's figure minus another's.
    Change,
    /// "growth", "grew": a change between two periods, meaningful as a percentage.
    Growth,
    /// "compared to", "versus": two periods' figures side by side.
    Versus,
    /// "more" or "fewer" on their own, with "than" later ("how many more orders in 2022 than in 2021").
    MoreOrFewer {
        more: bool,
    },
    /// "when": asks for a date.
    When,
    /// "the most common" (`descending`) or "least common": ranks by how many rows have it.
    MostCommon {
        descending: bool,
    },
    /// "month-over-month" (`month`), "year over year".
    PeriodOverPeriod {
        month: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl CompareOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Eq => "=",
        }
    }
}

/// A measure named by meaning rather than by a column name ("revenue", "length").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Concept {
    /// Money received: columns named total/amount/revenue..., or price x quantity.
    Money,
    /// What one thing costs: columns named price/cost/fee.
    Price,
    /// How long something lasts: milliseconds, seconds, duration.
    Duration,
    /// How big something is: bytes, size.
    Size,
    /// When something happened: date and timestamp columns.
    When,
}

impl Concept {
    /// The name used in result-column aliases.
    pub(crate) fn alias_word(self) -> &'static str {
        match self {
            Concept::Money => "revenue",
            Concept::Price => "price",
            Concept::Duration => "duration",
            Concept::Size => "size",
            Concept::When => "date",
        }
    }

    /// Words in a column name that make the column measure this concept.
    pub(crate) fn column_words(self) -> &'static [&'static str] {
        match self {
            Concept::Money => &[
                "total", "amount", "revenue", "sales", "sale", "payment", "paid", "subtotal", "income", "salary",
                "wage",
            ],
            Concept::Price => &["price", "cost", "fee"],
            Concept::Duration => &[
                "milliseconds",
                "millisecond",
                "ms",
                "seconds",
                "minutes",
                "mins",
                "hours",
                "duration",
                "length",
                "runtime",
            ],
            Concept::Size => &["bytes", "size"],
            Concept::When => &[],
        }
    }
}

/// Units of time, in milliseconds: "in minutes", "longer than 5 minutes",
/// a `Milliseconds` column. Values convert between them exactly.
pub(crate) const DURATION_UNITS: &[(&[&str], u64)] = &[
    (&["ms", "millisecond", "milliseconds"], 1),
    (&["s", "sec", "secs", "second", "seconds"], 1_000),
    (&["min", "mins", "minute", "minutes"], 60_000),
    (&["h", "hr", "hrs", "hour", "hours"], 3_600_000),
];

/// Milliseconds in one `word` of time, if it names a unit.
pub(crate) fn duration_unit(word: &str) -> Option<u64> {
    let lower = word.to_lowercase();
    DURATION_UNITS.iter().find(|(words, _)| words.contains(&lower.as_str())).map(|(_, ms)| *ms)
}

/// Words in a column name that make it a quantity (multiplied by a price for money).
/// One-letter codes a column named in the first list often holds, and the
/// words a question uses for them ("How many patients are female?" with
/// `gender = 'F'`). Applied only to sampled values of such columns.
pub(crate) const CODED_VALUES: &[(&[&str], &str, &[&str])] = &[
    (&["gender", "sex"], "F", &["female", "females", "woman", "women"]),
    (&["gender", "sex"], "M", &["male", "males", "man", "men"]),
];

pub(crate) const QUANTITY_WORDS: &[&str] = &["quantity", "qty"];

/// Words that make a number column the stock on hand (`product_inventory`,
/// `units_in_stock`, `quantity_on_hand`): "stock" and "inventory" in a question name it.
pub(crate) const STOCK_LEVEL_WORDS: &[&str] = &["stock", "inventory", "hand", "available"];

/// Words that make a quantity a stock level rather than an amount sold
/// (`quantity_in_stock`, `reorder_quantity`): never multiplied into revenue.
pub(crate) const STOCK_WORDS: &[&str] =
    &["stock", "inventory", "available", "hand", "reorder", "minimum", "maximum", "min", "max", "per"];

/// Words of a question that name a concept (compared by stem).
pub(crate) const CONCEPT_WORDS: &[(&str, Concept)] = &[
    ("revenue", Concept::Money),
    ("sales", Concept::Money),
    ("income", Concept::Money),
    ("turnover", Concept::Money),
    ("earnings", Concept::Money),
    ("earned", Concept::Money),
    ("earn", Concept::Money),
    ("earns", Concept::Money),
    ("spent", Concept::Money),
    ("spend", Concept::Money),
    ("spending", Concept::Money),
    ("paid", Concept::Money),
    ("money", Concept::Money),
    ("payroll", Concept::Money),
    ("value", Concept::Money),
    ("worth", Concept::Money),
    ("price", Concept::Price),
    ("cost", Concept::Price),
    ("length", Concept::Duration),
    ("duration", Concept::Duration),
    ("runtime", Concept::Duration),
    ("minutes", Concept::Duration),
    ("minute", Concept::Duration),
    ("hours", Concept::Duration),
    ("long", Concept::Duration),
    ("size", Concept::Size),
];

/// Groups of interchangeable business words (tried only when a word does not
/// match the schema directly).
pub(crate) const SYNONYMS: &[&[&str]] = &[
    &["customer", "client", "buyer", "purchaser", "shopper", "patron", "cust"],
    &["employee", "staff", "worker", "personnel", "staffer", "colleague", "emp"],
    &["track", "song", "tune"],
    &["artist", "singer", "band", "musician", "performer"],
    &["invoice", "bill", "receipt"],
    &["product", "item", "article", "prod"],
    &["order", "purchase"],
    &["supplier", "vendor", "provider"],
    &["category", "genre"],
    &["country", "nation"],
    &["city", "town"],
    &["state", "province", "region"],
    &["phone", "telephone", "tel"],
    &["rep", "representative", "agent"],
    &["manager", "supervisor", "boss"],
    &["quantity", "qty", "units"],
    &["inventory", "stock", "copy", "dvd"],
    &["birth", "born", "birthday"],
    &["movie", "film"],
    &["doctor", "physician"],
    &["student", "pupil"],
    &["teacher", "instructor", "lecturer"],
    &["course", "class"],
    &["address", "street", "addr"],
    &["email", "mail"],
    &["web", "website", "url", "homepage"],
    // Abbreviations schemas use for common words (the question spells them out).
    &["amount", "amt"],
    &["department", "dept"],
    &["description", "descr"],
    &["account", "acct"],
    &["transaction", "txn"],
    &["date", "dt"],
];

/// Keyword phrases, longest first within each first word. Matched on lower-case words.
pub(crate) const KEYWORDS: &[(&[&str], Keyword)] = &[
    (&["how", "many"], Keyword::Count),
    (&["how", "much"], Keyword::HowMuch),
    (&["total", "number", "of"], Keyword::Count),
    (&["number", "of"], Keyword::Count),
    (&["count", "of"], Keyword::Count),
    (&["count"], Keyword::Count),
    (&["in", "total"], Keyword::Sum),
    (&["total"], Keyword::Sum),
    (&["sum", "of"], Keyword::Sum),
    (&["sum"], Keyword::Sum),
    (&["average"], Keyword::Avg),
    (&["avg"], Keyword::Avg),
    (&["mean"], Keyword::Avg),
    (&["minimum"], Keyword::Min),
    (&["min"], Keyword::Min),
    (&["lowest", "paid"], Keyword::Superlative { concept: Concept::Money, descending: false }),
    (&["lowest"], Keyword::Min),
    (&["smallest"], Keyword::Min),
    (&["fewest"], Keyword::Min),
    (&["least", "expensive"], Keyword::Superlative { concept: Concept::Price, descending: false }),
    (&["least"], Keyword::Min),
    (&["maximum"], Keyword::Max),
    (&["max"], Keyword::Max),
    (&["highest", "paid"], Keyword::Superlative { concept: Concept::Money, descending: true }),
    (&["highest"], Keyword::Max),
    (&["best", "paid"], Keyword::Superlative { concept: Concept::Money, descending: true }),
    (&["worst", "paid"], Keyword::Superlative { concept: Concept::Money, descending: false }),
    (&["largest"], Keyword::Max),
    (&["biggest"], Keyword::Max),
    (&["greatest"], Keyword::Max),
    (&["most", "expensive"], Keyword::Superlative { concept: Concept::Price, descending: true }),
    (&["most", "recent"], Keyword::Superlative { concept: Concept::When, descending: true }),
    (&["most", "common"], Keyword::MostCommon { descending: true }),
    (&["most", "frequent"], Keyword::MostCommon { descending: true }),
    (&["least", "common"], Keyword::MostCommon { descending: false }),
    (&["least", "frequent"], Keyword::MostCommon { descending: false }),
    (&["most"], Keyword::Max),
    (&["top"], Keyword::Top { descending: true }),
    (&["best"], Keyword::Top { descending: true }),
    (&["worst"], Keyword::Top { descending: false }),
    (&["bottom"], Keyword::Top { descending: false }),
    (&["longest"], Keyword::Superlative { concept: Concept::Duration, descending: true }),
    (&["shortest"], Keyword::Superlative { concept: Concept::Duration, descending: false }),
    (&["priciest"], Keyword::Superlative { concept: Concept::Price, descending: true }),
    (&["costliest"], Keyword::Superlative { concept: Concept::Price, descending: true }),
    (&["cheapest"], Keyword::Superlative { concept: Concept::Price, descending: false }),
    (&["newest"], Keyword::Superlative { concept: Concept::When, descending: true }),
    (&["latest"], Keyword::Superlative { concept: Concept::When, descending: true }),
    (&["earliest"], Keyword::Superlative { concept: Concept::When, descending: false }),
    (&["oldest"], Keyword::Superlative { concept: Concept::When, descending: false }),
    (&["longer", "than"], Keyword::Comparative { concept: Concept::Duration, op: CompareOp::Gt }),
    (&["shorter", "than"], Keyword::Comparative { concept: Concept::Duration, op: CompareOp::Lt }),
    (&["more", "expensive", "than"], Keyword::Comparative { concept: Concept::Price, op: CompareOp::Gt }),
    (&["cheaper", "than"], Keyword::Comparative { concept: Concept::Price, op: CompareOp::Lt }),
    (&["less", "expensive", "than"], Keyword::Comparative { concept: Concept::Price, op: CompareOp::Lt }),
    (&["for", "each"], Keyword::Per),
    (&["for", "every"], Keyword::Per),
    (&["in", "each"], Keyword::Per),
    (&["in", "every"], Keyword::Per),
    (&["of", "each"], Keyword::Per),
    // "the largest number of employees in any one department": per department.
    (&["in", "any", "one"], Keyword::Per),
    (&["in", "any", "single"], Keyword::Per),
    (&["in", "a", "single"], Keyword::Per),
    (&["for", "any", "one"], Keyword::Per),
    (&["per"], Keyword::Per),
    (&["each"], Keyword::Per),
    (&["every"], Keyword::Per),
    (&["grouped", "by"], Keyword::Per),
    (&["broken", "down", "by"], Keyword::Per),
    (&["split", "by"], Keyword::Per),
    (&["sorted", "by"], Keyword::OrderBy),
    (&["ordered", "by"], Keyword::OrderBy),
    (&["order", "by"], Keyword::OrderBy),
    (&["sort", "by"], Keyword::OrderBy),
    (&["sorted"], Keyword::Sorted),
    (&["ordered"], Keyword::Sorted),
    (&["by"], Keyword::By),
    (&["ascending"], Keyword::Ascending),
    (&["asc"], Keyword::Ascending),
    (&["descending"], Keyword::Descending),
    (&["desc"], Keyword::Descending),
    (&["alphabetically"], Keyword::Alphabetically),
    (&["alphabetical", "order"], Keyword::Alphabetically),
    (&["distinct"], Keyword::Distinct),
    (&["unique"], Keyword::Distinct),
    (&["different"], Keyword::Distinct),
    (&["which"], Keyword::Which),
    (&["what"], Keyword::Which),
    (&["list"], Keyword::List),
    (&["show"], Keyword::List),
    (&["display"], Keyword::List),
    (&["give"], Keyword::List),
    (&["find"], Keyword::List),
    (&["get"], Keyword::List),
    (&["more", "than"], Keyword::Compare(CompareOp::Gt)),
    (&["greater", "than"], Keyword::Compare(CompareOp::Gt)),
    (&["higher", "than"], Keyword::Compare(CompareOp::Gt)),
    (&["larger", "than"], Keyword::Compare(CompareOp::Gt)),
    (&["bigger", "than"], Keyword::Compare(CompareOp::Gt)),
    (&["over"], Keyword::Compare(CompareOp::Gt)),
    (&["above"], Keyword::Compare(CompareOp::Gt)),
    (&["exceeding"], Keyword::Compare(CompareOp::Gt)),
    (&["at", "least"], Keyword::Compare(CompareOp::Ge)),
    (&["no", "less", "than"], Keyword::Compare(CompareOp::Ge)),
    (&["no", "fewer", "than"], Keyword::Compare(CompareOp::Ge)),
    (&["less", "than"], Keyword::Compare(CompareOp::Lt)),
    (&["fewer", "than"], Keyword::Compare(CompareOp::Lt)),
    (&["lower", "than"], Keyword::Compare(CompareOp::Lt)),
    (&["smaller", "than"], Keyword::Compare(CompareOp::Lt)),
    (&["under"], Keyword::Compare(CompareOp::Lt)),
    (&["below"], Keyword::Compare(CompareOp::Lt)),
    (&["at", "most"], Keyword::Compare(CompareOp::Le)),
    (&["no", "more", "than"], Keyword::Compare(CompareOp::Le)),
    (&["exactly"], Keyword::Compare(CompareOp::Eq)),
    (&["equal", "to"], Keyword::Compare(CompareOp::Eq)),
    (&["or", "more"], Keyword::OrMore),
    (&["or", "greater"], Keyword::OrMore),
    (&["or", "less"], Keyword::OrLess),
    (&["or", "fewer"], Keyword::OrLess),
    (&["between"], Keyword::Between),
    (&["and"], Keyword::And),
    (&["or"], Keyword::Or),
    (&["from"], Keyword::From),
    (&["to"], Keyword::To),
    (&["through"], Keyword::To),
    (&["until"], Keyword::To),
    (&["since"], Keyword::Since),
    (&["after"], Keyword::After),
    (&["before"], Keyword::Before),
    (&["have"], Keyword::Have),
    // Verbs that only say two rows are related: "not assigned to any department".
    (&["assigned", "to"], Keyword::Have),
    (&["belonging", "to"], Keyword::Have),
    (&["belong", "to"], Keyword::Have),
    (&["belongs", "to"], Keyword::Have),
    (&["linked", "to"], Keyword::Have),
    (&["associated", "with"], Keyword::Have),
    (&["work", "in"], Keyword::Have),
    (&["works", "in"], Keyword::Have),
    (&["worked", "in"], Keyword::Have),
    (&["working", "in"], Keyword::Have),
    (&["work", "for"], Keyword::Have),
    (&["works", "for"], Keyword::Have),
    // "with a", "earns a": an indefinite article says the column holds a value.
    (&["with", "a"], Keyword::Have),
    (&["with", "an"], Keyword::Have),
    (&["have", "a"], Keyword::Have),
    (&["have", "an"], Keyword::Have),
    (&["has", "a"], Keyword::Have),
    (&["has", "an"], Keyword::Have),
    (&["earn", "a"], Keyword::Have),
    (&["earns", "a"], Keyword::Have),
    (&["receive", "a"], Keyword::Have),
    (&["receives", "a"], Keyword::Have),
    (&["get", "a"], Keyword::Have),
    (&["gets", "a"], Keyword::Have),
    (&["look", "after"], Keyword::Have),
    (&["looks", "after"], Keyword::Have),
    (&["take", "care", "of"], Keyword::Have),
    (&["takes", "care", "of"], Keyword::Have),
    (&["responsible", "for"], Keyword::Have),
    (&["account", "for"], Keyword::Have),
    (&["accounts", "for"], Keyword::Have),
    (&["has"], Keyword::Have),
    (&["had"], Keyword::Have),
    (&["having"], Keyword::Have),
    (&["with"], Keyword::Have),
    (&["contain"], Keyword::Have),
    (&["contains"], Keyword::Have),
    (&["named"], Keyword::Named),
    (&["called"], Keyword::Named),
    (&["titled"], Keyword::Named),
    (&["year"], Keyword::Year),
    (&["years"], Keyword::Year),
    (&["month"], Keyword::Month),
    (&["months"], Keyword::Month),
    (&["share"], Keyword::Share { percent: false }),
    (&["fraction"], Keyword::Share { percent: false }),
    (&["proportion"], Keyword::Share { percent: false }),
    (&["percentage"], Keyword::Share { percent: true }),
    (&["percent"], Keyword::Share { percent: true }),
    (&["yearly"], Keyword::Yearly),
    (&["annual"], Keyword::Yearly),
    (&["annually"], Keyword::Yearly),
    (&["monthly"], Keyword::Monthly),
    (&["by", "how", "much"], Keyword::Change),
    (&["when"], Keyword::When),
    (&["change"], Keyword::Change),
    (&["changed"], Keyword::Change),
    (&["difference"], Keyword::Change),
    (&["growth"], Keyword::Growth),
    (&["grow"], Keyword::Growth),
    (&["grew"], Keyword::Growth),
    (&["compared", "to"], Keyword::Versus),
    (&["compared", "with"], Keyword::Versus),
    (&["versus"], Keyword::Versus),
    (&["vs"], Keyword::Versus),
    (&["more"], Keyword::MoreOrFewer { more: true }),
    (&["fewer"], Keyword::MoreOrFewer { more: false }),
    (&["less"], Keyword::MoreOrFewer { more: false }),
];

/// Ordinals that name a quarter of a year ("the first quarter of 2022", "Q1 2022").
pub(crate) const QUARTER_ORDINALS: &[&str] = &["first", "second", "third", "fourth"];

/// Longest keyword phrase, in words.
pub(crate) const MAX_KEYWORD_WORDS: usize = 3;

/// Keyword for a single word from the negation, relative-time and write lists, if any.
pub(crate) fn special_keyword(lower: &str) -> Option<Keyword> {
    if NEGATIONS.contains(&lower) || lower.ends_with("n't") {
        Some(Keyword::Negation)
    } else if RELATIVE_TIME.contains(&lower) {
        Some(Keyword::RelativeTime)
    } else if WRITE_VERBS_ANYWHERE.contains(&lower) {
        Some(Keyword::Write)
    } else {
        None
    }
}
