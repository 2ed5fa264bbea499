package io.sluice.limit;

/**
 * Told of every move of an adaptive limit. Called under the dispatcher's lock, on whatever thread reported the
 * sample: implementations only count or record.
 */
@FunctionalInterface
public interface LimitListener {

  LimitListener NONE = d -> { };

  void changed(Decision decision);
}
