package io.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArgsTest {

  private static final Option COUNT = Option.value("--count", "N", "an integer").alias("-c");
  private static final Option QUIET = Option.flag("--quiet");
  private static final List<Option> OPTIONS = List.of(COUNT, QUIET);

  private static Args parse(String... args) {
    return Args.parse(args, OPTIONS, "(try --help)");
  }

  private static String error(String... args) {
    return assertThrows(UsageException.class, () -> parse(args).given()).getMessage();
  }

  @Test
  void valuesInEveryFormAndOperandsAnywhere() {
    Args a = parse("x", "--count", "1", "--count=2", "-c", "3", "--quiet", "y");
    assertEquals(List.of("--count 1", "--count 2", "-c 3", "--quiet null"),
        a.given().stream().map(g -> g.typed() + " " + g.value()).toList());
    assertEquals(List.of("x", "y"), a.operands());
    assertTrue(a.has(QUIET));
  }

  @Test
  void doubleDashEndsTheOptions() {
    Args a = parse("--quiet", "--", "--count", "-c");
    assertEquals(List.of("--count", "-c"), a.operands());
    assertEquals(1, a.given().size());
  }

  @Test
  void aValueNeverStartsWithTwoDashes() {
    assertEquals("--count: missing value (expected: an integer)", error("--count", "--quiet"));
    assertEquals("-c: missing value (expected: an integer)", error("-c"));
    assertEquals("-3", parse("-c", "-3").given().get(0).value(), "a single dash may start a (wrong) value");
    assertEquals("--x", parse("--count=--x").given().get(0).value());
  }

  @Test
  void theFirstErrorNamesTheOptionAsTyped() {
    assertEquals("unknown option --nope (try --help)", error("--nope", "--quiet=1"));
    assertEquals("unknown option -x (try --help)", error("-x"));
    assertEquals("--quiet: \"1\" (expected: no value)", error("--quiet=1", "--nope"));
  }

  @Test
  void helpWinsOverErrors() {
    assertTrue(parse("--nope", "-h").help());
    assertTrue(parse("--help").help());
    assertFalse(parse("--help=1").help(), "--help takes no value");
  }

  @Test
  void aValueParserErrorIsPrefixedWithTheOption() {
    Args.Given g = parse("-c", "many").given().get(0);
    assertEquals("-c: \"many\" (expected: an integer)", assertThrows(UsageException.class, () -> g.parse(text -> {
      throw new IllegalArgumentException("\"" + text + "\" (expected: an integer)");
    })).getMessage());
  }
}
