use super::*;

#[test]
fn ack_rule() {
    let a = AckRule::new(true, 100, 400);
    assert!(!a.due(140));
    assert!(a.due(141));
    assert!(!AckRule::new(false, 0, 0).due(1));
}
