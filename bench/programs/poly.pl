% poly: raise the polynomial 1 + x + y + z to the 10th power (poly_10 of the van Roy set).
% A polynomial is a number or poly(Var, Terms), Terms a list of term(Exponent, Coefficient)
% in increasing exponent order, coefficients polynomials in later variables (x < y < z).
% RESULT is [sum of the coefficients, number of term/2 nodes] = [1048576, 351].
% Run: swipl -q -g main -t halt bench/programs/poly.pl
% Prints: RESULT <[Sum, Nodes]>, ITER <n>, TIME <seconds per run>.

test_poly(P) :-
    poly_add(poly(x, [term(0,1), term(1,1)]), poly(y, [term(1,1)]), Q),
    poly_add(poly(z, [term(1,1)]), Q, P).

poly_add(poly(Var,Terms1), poly(Var,Terms2), poly(Var,Terms)) :- !,
    term_add(Terms1, Terms2, Terms).
poly_add(poly(Var1,Terms1), poly(Var2,Terms2), poly(Var1,Terms)) :- Var1 @< Var2, !,
    add_to_order_zero_term(Terms1, poly(Var2,Terms2), Terms).
poly_add(Poly, poly(Var,Terms2), poly(Var,Terms)) :- !,
    add_to_order_zero_term(Terms2, Poly, Terms).
poly_add(poly(Var,Terms1), C, poly(Var,Terms)) :- !,
    add_to_order_zero_term(Terms1, C, Terms).
poly_add(C1, C2, C) :- C is C1 + C2.

term_add([], X, X) :- !.
term_add(X, [], X) :- !.
term_add([term(E,C1)|Terms1], [term(E,C2)|Terms2], [term(E,C)|Terms]) :- !,
    poly_add(C1, C2, C),
    term_add(Terms1, Terms2, Terms).
term_add([term(E1,C1)|Terms1], [term(E2,C2)|Terms2], [term(E1,C1)|Terms]) :- E1 < E2, !,
    term_add(Terms1, [term(E2,C2)|Terms2], Terms).
term_add(Terms1, [term(E2,C2)|Terms2], [term(E2,C2)|Terms]) :-
    term_add(Terms1, Terms2, Terms).

add_to_order_zero_term([term(0,C1)|Terms], C2, [term(0,C)|Terms]) :- !,
    poly_add(C1, C2, C).
add_to_order_zero_term(Terms, C, [term(0,C)|Terms]).

poly_exp(0, _, 1) :- !.
poly_exp(N, Poly, Result) :- N mod 2 =:= 0, !,
    M is N // 2,
    poly_exp(M, Poly, Part),
    poly_mul(Part, Part, Result).
poly_exp(N, Poly, Result) :-
    M is N - 1,
    poly_exp(M, Poly, Part),
    poly_mul(Poly, Part, Result).

poly_mul(poly(Var,Terms1), poly(Var,Terms2), poly(Var,Terms)) :- !,
    term_mul(Terms1, Terms2, Terms).
poly_mul(poly(Var1,Terms1), poly(Var2,Terms2), poly(Var1,Terms)) :- Var1 @< Var2, !,
    mul_through(Terms1, poly(Var2,Terms2), Terms).
poly_mul(P, poly(Var,Terms2), poly(Var,Terms)) :- !,
    mul_through(Terms2, P, Terms).
poly_mul(poly(Var,Terms1), C, poly(Var,Terms)) :- !,
    mul_through(Terms1, C, Terms).
poly_mul(C1, C2, C) :- C is C1 * C2.

term_mul([], _, []) :- !.
term_mul(_, [], []) :- !.
term_mul([Term|Terms1], Terms2, Terms) :-
    single_term_mul(Terms2, Term, PartA),
    term_mul(Terms1, Terms2, PartB),
    term_add(PartA, PartB, Terms).

single_term_mul([], _, []) :- !.
single_term_mul([term(E1,C1)|Terms1], term(E2,C2), [term(E,C)|Terms]) :-
    E is E1 + E2,
    poly_mul(C1, C2, C),
    single_term_mul(Terms1, term(E2,C2), Terms).

mul_through([], _, []) :- !.
mul_through([term(E,Term)|Terms], Poly, [term(E,NewTerm)|NewTerms]) :-
    poly_mul(Term, Poly, NewTerm),
    mul_through(Terms, Poly, NewTerms).

% [sum of all numeric coefficients, number of term/2 nodes]
poly_stats(poly(_, Terms), S, N) :- !, terms_stats(Terms, S, N).
poly_stats(C, C, 0).
terms_stats([], 0, 0).
terms_stats([term(_, C)|Ts], S, N) :-
    poly_stats(C, S1, N1), terms_stats(Ts, S2, N2),
    S is S1 + S2, N is N1 + N2 + 1.

poly10(R) :- test_poly(P), poly_exp(10, P, R).

iterations(N) :- getenv('POLY_ITER', S), atom_number(S, N), !.
iterations(20).

loop(0) :- !.
loop(K) :- poly10(_), !, K1 is K - 1, loop(K1).

main :-
    iterations(N),
    poly10(P), poly_stats(P, S, C),
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~w~n", [[S, C]]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
