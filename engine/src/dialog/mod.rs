//! The transport-agnostic dialog core (to be built: FSM, talk module, conversation driver).
