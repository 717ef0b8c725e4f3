//! OpenVINO IR reading and conversion.
