package dev.scorecards.reindex.model;

import java.util.EnumSet;
import java.util.Set;

/** Which scorecards a run reindexes. */
public enum Mode {
  /** The existing job: conversations updated in the window, with their conversation scorecards. */
  conversation(EnumSet.of(Flow.CONVERSATION)),
  /** Process scorecards (template type 2) updated in the window. */
  process(EnumSet.of(Flow.PROCESS)),
  /** Both, in one pipeline run. */
  all(EnumSet.of(Flow.CONVERSATION, Flow.PROCESS));

  private final Set<Flow> flows;

  Mode(Set<Flow> flows) {
    this.flows = flows;
  }

  public Set<Flow> flows() {
    return EnumSet.copyOf(flows);
  }
}
