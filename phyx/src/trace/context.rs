//! `TraceContext`: one span's place in a trace, and its W3C `traceparent`
//! form.

use std::fmt;
use std::num::NonZeroU64;

use crate::trace::ids;

/// Where one span sits in a trace: the trace's id, the span's own id, and
/// whether the trace is sampled. The same triple as a
/// [W3C Trace Context](https://www.w3.org/TR/trace-context/) `traceparent`
/// header, which it reads and writes.
///
/// Neither id is ever zero (the W3C's "invalid" ids): every way to make
/// one refuses them.
///
/// # Examples
///
/// ```
/// use phyx::trace::TraceContext;
///
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let context = TraceContext::from_traceparent(header).unwrap();
/// assert_eq!(context.trace_id(), 0x4bf92f3577b34da6a3ce929d0e0e4736);
/// assert_eq!(context.span_id(), 0x00f067aa0ba902b7);
/// assert!(context.is_sampled());
/// assert_eq!(context.traceparent(), header);
///
/// // A span called from it: the same trace, a span of its own.
/// let child = context.child();
/// assert_eq!(child.trace_id(), context.trace_id());
/// assert_ne!(child.span_id(), context.span_id());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    // The trace id in two halves rather than a `u128`: eight-byte
    // alignment keeps the context, which traced messages carry, at 32
    // bytes (and `Option<TraceContext>` too, through `span_id`'s niche).
    // Invariant: not both zero.
    trace_high: u64,
    trace_low: u64,
    span_id: NonZeroU64,
    sampled: bool,
}

/// The length of a version-00 `traceparent`: `vv-<32>-<16>-ff`.
const TRACEPARENT_LEN: usize = 55;

impl TraceContext {
    /// A context from its parts; `None` if either id is zero, which the
    /// W3C reserves for "no id".
    pub fn new(trace_id: u128, span_id: u64, sampled: bool) -> Option<Self> {
        if trace_id == 0 {
            return None;
        }
        Some(Self {
            trace_high: (trace_id >> 64) as u64,
            trace_low: trace_id as u64,
            span_id: NonZeroU64::new(span_id)?,
            sampled,
        })
    }

    /// The first span of a new trace: fresh random ids, sampled.
    ///
    /// Ids come from a fast generator seeded per thread from the OS's
    /// randomness (not from the system's seed, so tracing never changes
    /// the jitter a seeded system replays, and two nodes seeded alike
    /// still make different ids); they are unique in practice, not
    /// unguessable.
    #[inline]
    pub fn start() -> Self {
        let (trace_high, trace_low) = ids::trace_id();
        Self {
            trace_high,
            trace_low,
            span_id: ids::span_id(),
            sampled: true,
        }
    }

    /// A span called from this one: the same trace and sampling, a fresh
    /// span id.
    #[inline]
    #[must_use]
    pub fn child(&self) -> Self {
        Self {
            span_id: ids::span_id(),
            ..*self
        }
    }

    /// The trace's id, the same in every span of the trace.
    pub fn trace_id(&self) -> u128 {
        (u128::from(self.trace_high) << 64) | u128::from(self.trace_low)
    }

    /// This span's id.
    pub fn span_id(&self) -> u64 {
        self.span_id.get()
    }

    /// Whether the trace is sampled: the `traceparent`'s `sampled` flag,
    /// passed on as it came. phyx records every traced handler either way;
    /// the flag is for the collector a sink hands spans to.
    pub fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// Reads a W3C `traceparent` header's value:
    /// `00-<trace id: 32 hex>-<parent span id: 16 hex>-<flags: 2 hex>`,
    /// lowercase. `None` for anything else: a wrong length, a missing
    /// dash, an uppercase or non-hex digit, an all-zero id, version `ff`.
    /// A later version (`01` to `fe`) is read by version 00's fields, as
    /// the W3C asks, if what follows them starts with a dash. The
    /// `sampled` flag is kept; other flags are dropped.
    ///
    /// Never panics, whatever the input: a stranger's header is just
    /// ignored (the W3C's rule: start a new trace).
    pub fn from_traceparent(header: &str) -> Option<Self> {
        let bytes = header.as_bytes();
        if bytes.len() < TRACEPARENT_LEN {
            return None;
        }
        let version = hex(&bytes[0..2])?;
        let fits = match version {
            0xff => false,
            0 => bytes.len() == TRACEPARENT_LEN,
            _ => bytes.len() == TRACEPARENT_LEN || bytes[TRACEPARENT_LEN] == b'-',
        };
        if !fits || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let trace_high = hex(&bytes[3..19])?;
        let trace_low = hex(&bytes[19..35])?;
        let span_id = hex(&bytes[36..52])?;
        let flags = hex(&bytes[53..55])?;
        Self::new(
            (u128::from(trace_high) << 64) | u128::from(trace_low),
            span_id,
            flags & 1 == 1,
        )
    }

    /// The W3C `traceparent` header's value for a call made from this
    /// span: version 00, this trace's id, this span's id as the parent,
    /// and the `sampled` flag. Also what `Display` writes.
    pub fn traceparent(&self) -> String {
        self.to_string()
    }
}

/// Lowercase hex digits (at most 16) as a number; `None` for anything
/// else, uppercase included (the W3C's ids are lowercase).
fn hex(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |value, &digit| {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        Some((value << 4) | u64::from(nibble))
    })
}

impl fmt::Display for TraceContext {
    /// The `traceparent` form: `00-<trace id>-<span id>-<flags>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:016x}{:016x}-{:016x}-{:02x}",
            self.trace_high,
            self.trace_low,
            self.span_id,
            u8::from(self.sampled)
        )
    }
}

impl fmt::Debug for TraceContext {
    /// The ids in hex, as trace viewers show them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceContext")
            .field(
                "trace_id",
                &format_args!("{:016x}{:016x}", self.trace_high, self.trace_low),
            )
            .field("span_id", &format_args!("{:016x}", self.span_id))
            .field("sampled", &self.sampled)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_w3c_example_reads_and_writes_back() {
        let context = TraceContext::from_traceparent(EXAMPLE).unwrap();
        assert_eq!(context.trace_id(), 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736);
        assert_eq!(context.span_id(), 0x00f0_67aa_0ba9_02b7);
        assert!(context.is_sampled());
        assert_eq!(context.traceparent(), EXAMPLE);
        let unsampled = EXAMPLE.replace("-01", "-00");
        assert!(!TraceContext::from_traceparent(&unsampled).unwrap().is_sampled());
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in [
            "",
            "00",
            // All-zero ids.
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            // Uppercase, non-hex, a wrong separator.
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            // Too short, too long for version 00, version ff.
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            // A later version with something glued on.
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            // Signs and spaces that a lenient integer parser would take.
            "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            // Multi-byte characters where the dashes go.
            "00\u{e9}4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::from_traceparent(header), None, "{header:?}");
        }
    }

    #[test]
    fn a_later_version_reads_by_version_00s_fields() {
        let later = EXAMPLE.replacen("00", "cc", 1);
        assert_eq!(
            TraceContext::from_traceparent(&later),
            TraceContext::from_traceparent(EXAMPLE)
        );
        let extended = format!("{later}-what-comes-next");
        assert_eq!(
            TraceContext::from_traceparent(&extended),
            TraceContext::from_traceparent(EXAMPLE)
        );
    }

    #[test]
    fn zero_ids_make_no_context() {
        assert_eq!(TraceContext::new(0, 1, true), None);
        assert_eq!(TraceContext::new(1, 0, true), None);
        let context = TraceContext::new(u128::MAX, u64::MAX, false).unwrap();
        assert_eq!((context.trace_id(), context.span_id()), (u128::MAX, u64::MAX));
        assert_eq!(std::mem::size_of::<Option<TraceContext>>(), 32);
    }

    #[test]
    fn fresh_ids_are_never_zero_and_do_not_repeat() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let context = TraceContext::start();
            assert!(seen.insert(context.trace_id()));
            assert!(seen.insert(u128::from(context.child().span_id())));
        }
    }

    /// What the W3C's grammar accepts, spelled out character by character
    /// (no shared code with the parser): the oracle of the property test.
    fn reference(header: &str) -> Option<(u128, u64, bool)> {
        let chars: Vec<char> = header.chars().collect();
        let lower_hex = |c: &char| c.is_ascii_hexdigit() && !c.is_ascii_uppercase();
        if chars.len() < 55
            || !chars[..55].iter().enumerate().all(|(i, c)| match i {
                2 | 35 | 52 => *c == '-',
                _ => lower_hex(c),
            })
        {
            return None;
        }
        let field = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
        let version = u8::from_str_radix(&field(0, 2), 16).ok()?;
        let rest_ok = match version {
            0xff => false,
            0 => chars.len() == 55,
            _ => chars.len() == 55 || chars[55] == '-',
        };
        let trace = u128::from_str_radix(&field(3, 35), 16).ok()?;
        let span = u64::from_str_radix(&field(36, 52), 16).ok()?;
        let flags = u8::from_str_radix(&field(53, 55), 16).ok()?;
        (rest_ok && trace != 0 && span != 0).then_some((trace, span, flags & 1 == 1))
    }

    /// A random header: mostly a valid one with a few characters changed,
    /// cut or added, sometimes any characters at all.
    fn random_header(rng: &mut SplitMix64) -> String {
        const ALPHABET: &[u8] = b"0123456789abcdefABCDEF-0f_ +x";
        let pick = |rng: &mut SplitMix64, n: usize| (rng.next_u64() % n as u64) as usize;
        if rng.next_u64() % 8 == 0 {
            let len = pick(rng, 70);
            return (0..len)
                .map(|_| match pick(rng, 20) {
                    0 => char::from_u32(rng.next_u64() as u32 % 0x3000).unwrap_or('\u{fffd}'),
                    _ => char::from(ALPHABET[pick(rng, ALPHABET.len())]),
                })
                .collect();
        }
        let mut header: Vec<char> = TraceContext::start()
            .traceparent()
            .chars()
            .chain(std::iter::repeat_n('-', pick(rng, 2)))
            .collect();
        if pick(rng, 4) == 0 {
            // A version of its own: 00, a later one, or ff.
            let version = [*b"00", *b"01", *b"fe", *b"ff", *b"0A"][pick(rng, 5)];
            header[0] = char::from(version[0]);
            header[1] = char::from(version[1]);
        }
        for _ in 0..pick(rng, 3) {
            let at = pick(rng, header.len() + 1);
            match pick(rng, 4) {
                0 if at < header.len() => {
                    header.remove(at);
                }
                1 => header.insert(at, char::from(ALPHABET[pick(rng, ALPHABET.len())])),
                _ if at < header.len() => header[at] = char::from(ALPHABET[pick(rng, ALPHABET.len())]),
                _ => {}
            }
        }
        if pick(rng, 16) == 0 {
            // An all-zero id.
            let (from, to) = if pick(rng, 2) == 0 { (3, 35) } else { (36, 52) };
            header.iter_mut().skip(from).take(to - from).for_each(|c| *c = '0');
        }
        header.into_iter().collect()
    }

    #[test]
    fn any_string_reads_as_the_w3c_grammar_says_and_never_panics() {
        let mut rng = SplitMix64::new(0x7ace_9a7e);
        const INPUTS: usize = 250_000;
        let mut accepted = 0;
        for _ in 0..INPUTS {
            let header = random_header(&mut rng);
            let read = TraceContext::from_traceparent(&header);
            let expected = reference(&header);
            assert_eq!(
                read.map(|context| (context.trace_id(), context.span_id(), context.is_sampled())),
                expected,
                "{header:?}"
            );
            if let Some(context) = read {
                accepted += 1;
                // What it writes reads back the same.
                assert_eq!(TraceContext::from_traceparent(&context.traceparent()), Some(context));
            }
        }
        // Both sides of the grammar were exercised.
        assert!(
            (INPUTS / 10..INPUTS * 9 / 10).contains(&accepted),
            "{accepted} accepted"
        );
    }
}
