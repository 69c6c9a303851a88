//! Time: years, months, quarters, year ranges ("in 2021", "between 2021 and
//! 2022", "in March 2022", "since 2020"), dates counted from today
//! ("yesterday", "the last 30 days"), "per year" / "per month", and the date
//! column a time expression is about ("hired in 2002").
//!
//! Invariants: one question has at most one date range, unless it compares
//! periods.

use super::*;

impl Reader<'_> {
    /// Years, months, quarters, year ranges and "per year" / "per month".
    /// Returns the periods named, in order; when `comparing`, "from 2016 to
    /// 2017" is two periods rather than one range.
    pub(super) fn read_time(&mut self, comparing: bool) -> Result<Vec<Period>, Abstention> {
        for i in 0..self.items.len() {
            let bucket = match self.keyword(i) {
                Some(Keyword::Yearly) => Some((vec![i], GroupKey::Year)),
                Some(Keyword::Monthly) => Some((vec![i], GroupKey::Month)),
                Some(Keyword::Per | Keyword::By) if self.is_keyword(i + 1, Keyword::Year) => {
                    Some((vec![i, i + 1], GroupKey::Year))
                }
                Some(Keyword::Per | Keyword::By) if self.is_keyword(i + 1, Keyword::Month) => {
                    Some((vec![i, i + 1], GroupKey::Month))
                }
                _ => None,
            };
            if let Some((indices, key)) = bucket {
                self.mark(indices);
                self.set_group(key)?;
                self.take_bucket_date();
            }
        }
        let mut periods = Vec::new();
        for i in 0..self.items.len() {
            if !self.free(i) {
                continue;
            }
            let year = |reader: &Self, j: usize| reader.number(j).and_then(as_year);
            let joined = |reader: &Self, j: usize| matches!(reader.keyword(j), Some(Keyword::And | Keyword::To));
            let (span, found) = match (&self.items[i].kind, self.keyword(i)) {
                (_, Some(Keyword::Between | Keyword::From))
                    if year(self, i + 1).is_some() && joined(self, i + 2) && year(self, i + 3).is_some() =>
                {
                    let (a, b) = (year(self, i + 1).unwrap_or_default(), year(self, i + 3).unwrap_or_default());
                    let whole = |y: i32| (Some(YearMonth::start_of(y)), Some(YearMonth::start_of(y + 1)));
                    if comparing {
                        // "change from 2016 to 2017": two years, not the range.
                        (i..=i + 3, vec![whole(a), whole(b)])
                    } else if b < a {
                        return Err(abstain(format!("the year range {a} to {b} is empty")));
                    } else {
                        (i..=i + 3, vec![(Some(YearMonth::start_of(a)), Some(YearMonth::start_of(b + 1)))])
                    }
                }
                (ItemKind::Month(first), _)
                    if joined(self, i + 1)
                        && matches!(self.kind(i + 2), Some(ItemKind::Month(_)))
                        && year(self, i + 3).is_some() =>
                {
                    // "from January to March 2022": the year named last is both months'.
                    let Some(ItemKind::Month(last)) = self.kind(i + 2) else { unreachable!("checked above") };
                    let y = year(self, i + 3).unwrap_or_default();
                    let (a, b) = (YearMonth { year: y, month: *first }, YearMonth { year: y, month: *last });
                    if comparing {
                        (i..=i + 3, vec![(Some(a), Some(a.next())), (Some(b), Some(b.next()))])
                    } else if b < a {
                        return Err(abstain(format!("the month range '{}' is empty", self.items[i].text)));
                    } else {
                        (i..=i + 3, vec![(Some(a), Some(b.next()))])
                    }
                }
                (ItemKind::Quarter(quarter), _) => {
                    let y = year(self, i + 1).ok_or_else(|| {
                        abstain(format!("'{}' needs its year (such as 'Q1 2022')", self.items[i].text))
                    })?;
                    let start = YearMonth { year: y, month: 3 * quarter - 2 };
                    (i..=i + 1, vec![(Some(start), Some(start.next().next().next()))])
                }
                (_, Some(Keyword::Since | Keyword::From)) if year(self, i + 1).is_some() => {
                    (i..=i + 1, vec![(year(self, i + 1).map(YearMonth::start_of), None)])
                }
                (_, Some(Keyword::After)) if year(self, i + 1).is_some() => {
                    (i..=i + 1, vec![(year(self, i + 1).map(|y| YearMonth::start_of(y + 1)), None)])
                }
                (_, Some(Keyword::Before)) if year(self, i + 1).is_some() => {
                    (i..=i + 1, vec![(None, year(self, i + 1).map(YearMonth::start_of))])
                }
                (ItemKind::Month(month), _) if year(self, i + 1).is_some() => {
                    let start = YearMonth { year: year(self, i + 1).unwrap_or_default(), month: *month };
                    (i..=i + 1, vec![(Some(start), Some(start.next()))])
                }
                (ItemKind::Month(month), _) => {
                    self.mark([i]);
                    let column = self.take_date_attribute(i);
                    self.filters.push(Filter::MonthOfYear { column, month: *month });
                    continue;
                }
                (_, Some(Keyword::Relative(span))) => {
                    if comparing {
                        return Err(abstain(format!(
                            "comparing '{}' with another period is not supported offline; name the years",
                            self.items[i].text
                        )));
                    }
                    self.mark([i]);
                    let column = self.take_date_attribute(i);
                    self.filters.push(Filter::Recent { column, span });
                    continue;
                }
                (ItemKind::Number(_), _) if year(self, i).is_some() => {
                    // "in 2021", or "in 2021 and 2022" / "2021 or 2022": consecutive years only.
                    let mut last = i;
                    while !comparing
                        && matches!(self.keyword(last + 1), Some(Keyword::And | Keyword::Or))
                        && year(self, last + 2) == year(self, last).map(|y| y + 1)
                    {
                        last += 2;
                    }
                    let (first, final_year) = (year(self, i).unwrap_or_default(), year(self, last).unwrap_or_default());
                    (i..=last, vec![(Some(YearMonth::start_of(first)), Some(YearMonth::start_of(final_year + 1)))])
                }
                _ => continue,
            };
            let start = *span.start();
            self.mark(span);
            let mut column = self.take_date_attribute(start);
            for (from, until) in found {
                periods.push(Period { column: column.take(), from, until });
            }
        }
        Ok(periods)
    }

    /// "hired each year", "in which year did we hire the most": the date
    /// named anywhere is the one bucketed by year or month.
    pub(super) fn take_bucket_date(&mut self) {
        let named_date = (0..self.items.len()).find(|&j| {
            self.is_attribute(j) && matches!(self.kind(j), Some(ItemKind::Attribute(c)) if c.iter().all(|c| c.date))
        });
        if let Some(j) = named_date {
            self.mark([j]);
            self.bucket_date = Some(self.attribute(j));
        }
    }

    /// A date column named just before a time expression ("hired in 2002").
    pub(super) fn take_date_attribute(&mut self, time_at: usize) -> Option<AttributeRef> {
        let before = (0..time_at).rev().find(|&j| self.free(j) && !self.is_keyword(j, Keyword::Have))?;
        let names_a_date = match self.kind(before) {
            Some(ItemKind::Attribute(candidates)) => candidates.iter().any(|c| c.date),
            _ => false,
        };
        if !self.is_attribute(before) || !names_a_date {
            return None;
        }
        let attribute = self.attribute(before);
        self.mark([before]);
        Some(attribute)
    }
}

/// A number that reads as a calendar year.
fn as_year(n: f64) -> Option<i32> {
    (n.fract() == 0.0 && (1900.0..=2100.0).contains(&n)).then_some(n as i32)
}
