package io.sluice.history;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryTest {

  private static History history(int capacity) {
    return new History(List.of("app"), List.of(":8080"), List.of("served"), capacity);
  }

  private static void point(History h, long t, int depth) {
    History.Point p = new History.Point(h);
    p.t = t;
    p.depth = depth;
    p.limit[0] = depth + 1;
    p.outcomes[0] = depth / 2f;
    h.add(p);
  }

  @Test
  void anEmptyHistoryHasNoPoints() {
    History.View v = history(3).view();
    assertEquals(0, v.points());
    assertEquals(List.of("app"), v.backends());
    assertEquals(0, v.limit()[0].length);
  }

  @Test
  void theRingKeepsTheLatestPointsOldestFirst() {
    History h = history(3);
    for (int i = 1; i <= 5; i++) {
      point(h, 1000L * i, i);
    }
    History.View v = h.view();
    assertArrayEquals(new long[] {3000, 4000, 5000}, v.t());
    assertArrayEquals(new int[] {3, 4, 5}, v.depth());
    assertArrayEquals(new int[] {4, 5, 6}, v.limit()[0]);
    assertArrayEquals(new float[] {1.5f, 2f, 2.5f}, v.outcomesPerSecond()[0]);
  }

  @Test
  void sinceGivesOnlyWhatIsNewer() {
    History h = history(4);
    for (int i = 1; i <= 6; i++) {
      point(h, 1000L * i, i);
    }
    assertArrayEquals(new long[] {5000, 6000}, h.since(4000).t());
    assertArrayEquals(new long[] {5000, 6000}, h.since(4500).t());
    assertArrayEquals(new int[] {6}, h.since(5000).depth());
    assertEquals(0, h.since(6000).points());
    assertArrayEquals(new long[] {3000, 4000, 5000, 6000}, h.since(0).t());
  }

  @Test
  void eventsAreKeptAsLongAsThePointsAndNoLonger() {
    History h = history(2);
    point(h, 1000, 0);
    h.add(new History.Event(1000, History.Event.DOWN, "app", "refusing connections: in backoff", 1));
    point(h, 2000, 0);
    h.add(new History.Event(2000, History.Event.UP, "app", "taking connections again", 1));
    assertEquals(2, h.view().events().size());
    assertEquals(List.of(History.Event.UP), h.since(1000).events().stream().map(History.Event::kind).toList());
    point(h, 3000, 0);
    assertEquals(List.of(History.Event.UP), h.view().events().stream().map(History.Event::kind).toList(),
        "the event of the point that left the ring went with it");
  }

  @Test
  void theEventRingDropsTheOldestWhenFull() {
    History h = history(2);
    point(h, 1000, 0);
    for (int i = 0; i < History.EVENT_CAPACITY + 10; i++) {
      h.add(new History.Event(1000, History.Event.LIMIT, "app", "#" + i, 1));
    }
    List<History.Event> events = h.view().events();
    assertEquals(History.EVENT_CAPACITY, events.size());
    assertEquals("#10", events.get(0).text());
    assertEquals("#" + (History.EVENT_CAPACITY + 9), events.get(events.size() - 1).text());
  }

  @Test
  void aViewIsACopy() {
    History h = history(2);
    point(h, 1000, 7);
    History.View before = h.view();
    point(h, 2000, 8);
    point(h, 3000, 9);
    assertArrayEquals(new int[] {7}, before.depth());
  }

  @Test
  void aCapacityBelowOneIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> history(0));
    assertEquals("capacity: 0 (expected: >= 1)", e.getMessage());
  }
}
