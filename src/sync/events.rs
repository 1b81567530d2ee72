//! The client's side of the `events` stream (`docs/remote-protocol.md`): the server-sent events
//! text, read as it arrives in pieces of any size, turned into the manifests it announces.
//! [`super::manifest_event`] writes what this reads.

use crate::chunk::Manifest;

use super::serve::manifest_from_hex;

/// The longest line the stream may send. The protocol's lines are under a hundred bytes, so a
/// longer one means the other side speaks something else, and buffering it is refused.
pub const EVENT_LINE_BYTES_MAX: usize = 4096;

/// Reads the `events` stream: give it the bytes as they arrive, and it answers the manifests
/// of the events they completed. Comments (heartbeats), other fields and other event types are
/// skipped, as the server-sent events format says.
#[derive(Default)]
pub struct EventReader {
    /// The start of a line whose end has not arrived.
    partial: Vec<u8>,
    /// The `event` field of the event being read, if it had one.
    kind: Option<String>,
    /// The `data` field of the event being read.
    data: Option<String>,
}

impl EventReader {
    pub fn new() -> EventReader {
        EventReader::default()
    }

    /// Takes in the next bytes of the stream; answers the manifests of the events they ended,
    /// in order, or what is wrong with the stream.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Manifest>, String> {
        let mut manifests = Vec::new();
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&byte| byte == b'\n') {
            self.partial.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.partial);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if let Some(manifest) = self.line(line)? {
                manifests.push(manifest);
            }
        }
        if self.partial.len() + rest.len() > EVENT_LINE_BYTES_MAX {
            return Err(format!("a line of the events stream passed {EVENT_LINE_BYTES_MAX} bytes"));
        }
        self.partial.extend_from_slice(rest);
        Ok(manifests)
    }

    /// One whole line: a field of the event being read, or the empty line that ends it.
    fn line(&mut self, line: &[u8]) -> Result<Option<Manifest>, String> {
        if line.len() > EVENT_LINE_BYTES_MAX {
            return Err(format!("a line of the events stream passed {EVENT_LINE_BYTES_MAX} bytes"));
        }
        if line.is_empty() {
            let (kind, data) = (self.kind.take(), self.data.take());
            return match (kind.as_deref(), data) {
                (Some("manifest"), Some(data)) => {
                    manifest_from_hex(&data).map(Some).ok_or_else(|| {
                        format!("the events stream announced a manifest that is not one: '{data}'")
                    })
                }
                _ => Ok(None),
            };
        }
        if line.starts_with(b":") {
            return Ok(None);
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = line.split_once(':').unwrap_or((&line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_string();
        match field {
            "event" => self.kind = Some(value),
            "data" => self.data = Some(value),
            _ => {}
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::Hash;
    use crate::sync::manifest_event;

    fn manifest(byte: u8, epoch: u64) -> Manifest {
        Manifest { root: Some(Hash::from_bytes([byte; 20])), epoch }
    }

    #[test]
    fn reads_the_events_the_server_writes_in_pieces_of_any_size() {
        let sent = [manifest(1, 0), manifest(2, 0), manifest(2, 1)];
        let text: String =
            sent.iter().map(manifest_event).collect::<Vec<_>>().join(": heartbeat\n\n");
        for piece in [1, 7, 64, text.len()] {
            let mut reader = EventReader::new();
            let mut heard = Vec::new();
            for part in text.as_bytes().chunks(piece) {
                heard.extend(reader.push(part).unwrap());
            }
            assert_eq!(heard, sent, "pieces of {piece} bytes");
        }
    }

    #[test]
    fn skips_other_events_and_takes_crlf_lines() {
        let mut reader = EventReader::new();
        let hex = crate::sync::manifest_hex(&manifest(3, 2));
        let text =
            format!("event: other\ndata: x\n\nid: 1\r\nevent: manifest\r\ndata: {hex}\r\n\r\n");
        assert_eq!(reader.push(text.as_bytes()).unwrap(), [manifest(3, 2)]);
    }

    #[test]
    fn refuses_a_stream_that_is_not_the_protocol() {
        let mut reader = EventReader::new();
        let bad = reader.push(b"event: manifest\ndata: nothex\n\n").unwrap_err();
        assert!(bad.contains("nothex"), "{bad}");
        let long = vec![b'a'; EVENT_LINE_BYTES_MAX + 1];
        assert!(EventReader::new().push(&long).is_err());
    }
}
